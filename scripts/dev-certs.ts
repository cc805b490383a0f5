// Development workload certificates for `make dev`, made on first run like the dev signing
// key: a local CA and one certificate per service in the SPIFFE X.509-SVID shape, laid out
// as the kubelet mounts a cert-manager Secret (tls.crt, tls.key, ca.crt). They are made
// again when missing or within a day of expiry, so `make dev` always runs on mTLS.
//
//   node scripts/dev-certs.ts [--dir .dev/pki]     prints the directory
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAuthority, issue, spiffeId, tlsSecretFiles, writeSecretVolume } from './lib/pki.ts';

/** The trust domain of the identities the dev configs (services/<name>/config/dev.yaml) allow. */
export const DEV_TRUST_DOMAIN = 'dev.patient-mesh';
const SERVICES = ['patient-api', 'patient-rpc'] as const;
const DAY = 86_400_000;

const { values } = parseArgs({
  options: { dir: { type: 'string', default: join(import.meta.dirname, '..', '.dev', 'pki') } },
});
const dir = values.dir;

function fresh(service: string): boolean {
  const file = join(dir, service, 'tls.crt');
  if (!existsSync(file)) return false;
  return Date.parse(new X509Certificate(readFileSync(file)).validTo) - Date.now() > DAY;
}

if (!SERVICES.every(fresh)) {
  const ca = await createAuthority('patient-mesh dev CA', { notAfter: new Date(Date.now() + 30 * DAY) });
  for (const service of SERVICES) {
    const leaf = await issue(ca, {
      commonName: service,
      uris: [spiffeId(DEV_TRUST_DOMAIN, 'local', service)],
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      notAfter: new Date(Date.now() + 7 * DAY),
    });
    writeSecretVolume(join(dir, service), tlsSecretFiles(leaf, ca.certPem));
  }
}
process.stdout.write(`${dir}\n`);
