// Verifies the audit trail's hash chain and reports the first broken link.
//
//   node scripts/audit-verify.ts --database-url postgres://...   (or PM_DATABASE__URL)
//   node scripts/audit-verify.ts --pglite-dir .data/pglite       (patient-rpc stopped)
//
// Exit 0: chain intact. Exit 1: broken (the first bad record is printed). Exit 2: error.
import { parseArgs } from 'node:util';
import { verifyAuditTrail } from '@patient-mesh/patient-rpc';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string', default: process.env['PM_DATABASE__URL'] ?? '' },
    'pglite-dir': { type: 'string', default: '.data/pglite' },
  },
});

try {
  const { checked, firstBreak } = await verifyAuditTrail(
    values['database-url'] ? { databaseUrl: values['database-url'] } : { pgliteDir: values['pglite-dir'] },
  );
  if (firstBreak) {
    process.stdout.write(
      `audit chain BROKEN at seq ${firstBreak.seq}: ${firstBreak.reason} (${checked} records verified before it)\n`,
    );
    process.exitCode = 1;
  } else {
    process.stdout.write(`audit chain intact: ${checked} records verified\n`);
  }
} catch (error) {
  process.stderr.write(`audit-verify: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
