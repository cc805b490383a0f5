// Verifies the audit trail, in one of two ways.
//
// The whole log, with database access: its records against every signed checkpoint (the
// Merkle root of RFC 9162 over the first N records), and the hash chain of the records
// written before the ledger.
//   node scripts/audit-verify.ts --database-url postgres://...   (or PM_DATABASE__URL)
//   node scripts/audit-verify.ts --pglite-dir .data/pglite       (patient-rpc stopped)
//       --verifier-key NAME+HASH+KEY [--checkpoints FILE ...]
//
// One record or one step of the log, offline: proofs as the API returns them
// (GET /api/v1/audit/{seq}/proof, GET /api/v1/audit/consistency?from=N).
//   node scripts/audit-verify.ts --proof FILE ... --verifier-key KEY [--checkpoints FILE ...]
//
// FILE of --checkpoints holds one signed checkpoint (C2SP signed note), or JSON lines
// {"note": ...} as patient-rpc's audit.checkpoints.file sink writes them: checkpoints kept
// outside the database, the only ones that reveal a truncation. Without them the log is
// checked against the checkpoints stored in the database (signatures verified). The
// verifier key is what scripts/audit-key.ts prints (and the charts' audit.verifierKey).
// Exit 0: intact. Exit 1: broken, truncated, rewritten, forged or forked (what and where is
// printed). Exit 2: error (including a given checkpoint whose signature fails).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyAuditTrail, verifyCheckpoint, verifyProofDocument, type ProofDocument } from '@patient-mesh/patient-rpc';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string', default: process.env['PM_DATABASE__URL'] ?? '' },
    'pglite-dir': { type: 'string', default: '.data/pglite' },
    checkpoints: { type: 'string', multiple: true, default: [] },
    'verifier-key': { type: 'string', default: '' },
    proof: { type: 'string', multiple: true, default: [] },
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

const say = (line: string) => process.stdout.write(`${line}\n`);

async function verifyLog(notes: string[]): Promise<boolean> {
  const result = await verifyAuditTrail({
    ...(values['database-url'] ? { databaseUrl: values['database-url'] } : { pgliteDir: values['pglite-dir'] }),
    checkpoints: notes,
    verifierKey: values['verifier-key'],
  });
  let intact = true;
  const { checked, firstBreak, ledger } = result;
  if (firstBreak) {
    say(`audit chain BROKEN at seq ${firstBreak.seq}: ${firstBreak.reason} (${checked} records verified before it)`);
    intact = false;
  } else {
    say(`audit chain intact: ${checked} records verified (the records written before the ledger)`);
  }
  if (!ledger) {
    say('no verifier key given: the records after the hash chain were not checked (--verifier-key)');
    return intact;
  }
  say(`checkpoints: ${result.published} published outside the database, ${result.stored} read from it`);
  for (const size of result.forged) say(`checkpoint ${size} in the database: FORGED: its signature does not verify`);
  for (const size of result.forks) say(`checkpoint ${size}: FORKED: signed twice with different roots`);
  if (ledger.firstGap !== undefined) say(`audit log: sequence gap at seq ${ledger.firstGap}`);
  for (const f of ledger.findings)
    say(`checkpoint ${f.size}: ${f.status === 'ok' ? 'ok' : f.status.toUpperCase()}: ${f.detail}`);
  intact &&= result.forged.length === 0 && result.forks.length === 0 && ledger.findings.every((f) => f.status === 'ok');
  if (intact) say(`audit log matches ${ledger.findings.length} signed checkpoints (${ledger.records} records)`);
  if (result.published === 0)
    say('no checkpoints published outside the database given (--checkpoints): a truncation would not show');
  return intact;
}

function verifyProofs(notes: string[]): boolean {
  if (!values['verifier-key']) throw new Error('--proof needs --verifier-key');
  const trusted = notes.map((note) => verifyCheckpoint(note, values['verifier-key']));
  let intact = true;
  for (const file of values.proof) {
    const finding = verifyProofDocument(
      JSON.parse(readFileSync(file, 'utf8')) as ProofDocument,
      values['verifier-key'],
      trusted,
    );
    say(`${file}: ${finding.ok ? 'ok' : 'FAILED'}: ${finding.detail}`);
    intact &&= finding.ok;
  }
  return intact;
}

try {
  const notes = values.checkpoints.flatMap(notesIn);
  const intact = values.proof.length > 0 ? verifyProofs(notes) : await verifyLog(notes);
  process.exitCode = intact ? 0 : 1;
} catch (error) {
  process.stderr.write(`audit-verify: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
