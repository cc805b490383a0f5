// Verifies the audit trail: its hash chain, and (given checkpoints signed outside the
// database) that the log still holds exactly what each checkpoint signed.
//
//   node scripts/audit-verify.ts --database-url postgres://...   (or PM_DATABASE__URL)
//   node scripts/audit-verify.ts --pglite-dir .data/pglite       (patient-rpc stopped)
//       [--checkpoints FILE ...] [--verifier-key NAME+HASH+KEY]
//
// FILE holds one signed checkpoint (C2SP signed note), or JSON lines {"note": ...} as
// patient-rpc's audit.checkpoints.file sink writes them. The verifier key is what
// scripts/audit-key.ts prints. Exit 0: intact. Exit 1: broken, truncated or rewritten (what
// and where is printed). Exit 2: error (including a checkpoint whose signature fails).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyAuditTrail } from '@patient-mesh/patient-rpc';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string', default: process.env['PM_DATABASE__URL'] ?? '' },
    'pglite-dir': { type: 'string', default: '.data/pglite' },
    checkpoints: { type: 'string', multiple: true, default: [] },
    'verifier-key': { type: 'string', default: '' },
  },
});

/** The signed notes in a file: one note, or JSON lines with a `note` field. */
function notesIn(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  if (!text.trimStart().startsWith('{')) return [text];
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => (JSON.parse(line) as { note: string }).note);
}

try {
  const result = await verifyAuditTrail({
    ...(values['database-url'] ? { databaseUrl: values['database-url'] } : { pgliteDir: values['pglite-dir'] }),
    checkpoints: values.checkpoints.flatMap(notesIn),
    verifierKey: values['verifier-key'],
  });
  const { checked, firstBreak, ledger } = result;
  if (firstBreak) {
    process.stdout.write(
      `audit chain BROKEN at seq ${firstBreak.seq}: ${firstBreak.reason} (${checked} records verified before it)\n`,
    );
    process.exitCode = 1;
  } else {
    process.stdout.write(`audit chain intact: ${checked} records verified\n`);
  }
  if (ledger) {
    if (ledger.firstGap !== undefined) process.stdout.write(`audit log: sequence gap at seq ${ledger.firstGap}\n`);
    for (const f of ledger.findings) {
      process.stdout.write(`checkpoint ${f.size}: ${f.status === 'ok' ? 'ok' : f.status.toUpperCase()}: ${f.detail}\n`);
      if (f.status !== 'ok') process.exitCode = 1;
    }
    if (ledger.findings.every((f) => f.status === 'ok'))
      process.stdout.write(
        `audit log matches ${ledger.findings.length} signed checkpoints (${ledger.records} records)\n`,
      );
  }
} catch (error) {
  process.stderr.write(`audit-verify: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
