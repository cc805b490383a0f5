// The Ed25519 key that signs audit checkpoints (patient-rpc's audit.checkpoints.signingKeyFile).
//
//   node scripts/audit-key.ts --out .dev/audit-signing-key.pem [--origin patient-mesh/audit]
//
// Creates the key (PKCS#8 PEM, mode 0600) when the file does not exist, and prints the
// verifier key (C2SP signed-note vkey) that auditors use with scripts/audit-verify.ts.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { verifierKeyOf } from '../services/patient-rpc/src/audit/ledger/checkpoint.ts';

const { values } = parseArgs({
  options: { out: { type: 'string' }, origin: { type: 'string', default: 'patient-mesh/audit' } },
});
if (!values.out) {
  process.stderr.write('usage: node scripts/audit-key.ts --out FILE [--origin NAME]\n');
  process.exit(64);
}
if (!existsSync(values.out)) {
  const { privateKey } = generateKeyPairSync('ed25519');
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}
const publicKey = createPublicKey(createPrivateKey(readFileSync(values.out)));
process.stdout.write(`${verifierKeyOf(values.origin, publicKey)}\n`);
