// The Ed25519 key patient-rpc signs audit checkpoints with in tests, and its verifier key.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifierKeyOf } from '../../services/patient-rpc/src/audit/ledger/checkpoint.ts';

export const AUDIT_ORIGIN = 'patient-mesh/audit';

export interface AuditKey {
  signingKeyFile: string;
  verifierKey: string;
}

export function createAuditKey(): AuditKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signingKeyFile = join(mkdtempSync(join(tmpdir(), 'pm-audit-key-')), 'signing-key.pem');
  writeFileSync(signingKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { signingKeyFile, verifierKey: verifierKeyOf(AUDIT_ORIGIN, publicKey) };
}
