// Workload identities for tests: a CA, patient-api's and patient-rpc's certificates in the
// SPIFFE X.509-SVID shape, written as the kubelet mounts a cert-manager Secret, and the
// environment that points each service at them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAuthority,
  issue,
  spiffeId,
  tlsSecretFiles,
  writeSecretVolume,
  type Authority,
  type Issued,
  type Validity,
} from '../../scripts/lib/pki.ts';

export const TRUST_DOMAIN = 'test.patient-mesh';
export const API_ID = spiffeId(TRUST_DOMAIN, 'test', 'patient-api');
export const RPC_ID = spiffeId(TRUST_DOMAIN, 'test', 'patient-rpc');

/** A mounted Secret: its directory and the paths of its three files. */
export interface SecretVolume {
  dir: string;
  certFile: string;
  keyFile: string;
  caFile: string;
}

export interface TestMesh {
  ca: Authority;
  api: SecretVolume;
  rpc: SecretVolume;
  /** Issues a certificate for `id` from `authority` (default: the mesh CA). */
  issue(id: string, options?: Validity & { authority?: Authority }): Promise<Issued>;
  /** Writes a new Secret volume directory holding `issued` and `caBundlePem`. */
  volume(issued: Issued, caBundlePem?: string): SecretVolume;
  /** Replaces the files of `volume` in place, atomically, as the kubelet does on rotation. */
  rotate(volume: SecretVolume, issued: Issued, caBundlePem?: string): void;
  /** Environment for patient-rpc: mTLS, only patient-api allowed. */
  rpcEnv(): Record<string, string>;
  /** Environment for patient-api: mTLS, patient-rpc's identity required. */
  apiEnv(): Record<string, string>;
}

const volumeAt = (dir: string): SecretVolume => ({
  dir,
  certFile: join(dir, 'tls.crt'),
  keyFile: join(dir, 'tls.key'),
  caFile: join(dir, 'ca.crt'),
});

/** Workload certificates for both services, valid for a day, from a new CA. */
export async function createTestMesh(): Promise<TestMesh> {
  const root = mkdtempSync(join(tmpdir(), 'pm-mesh-'));
  const ca = await createAuthority('patient-mesh test CA');
  let volumes = 0;
  const mesh: TestMesh = {
    ca,
    api: volumeAt(''),
    rpc: volumeAt(''),
    issue: (id, options = {}) =>
      issue(options.authority ?? ca, {
        commonName: id.split('/').at(-1)!,
        uris: [id],
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        ...options,
      }),
    volume(issued, caBundlePem = ca.certPem) {
      const volume = volumeAt(join(root, `volume-${++volumes}`));
      writeSecretVolume(volume.dir, tlsSecretFiles(issued, caBundlePem));
      return volume;
    },
    rotate(volume, issued, caBundlePem = ca.certPem) {
      writeSecretVolume(volume.dir, tlsSecretFiles(issued, caBundlePem));
    },
    rpcEnv: () => ({
      ...tlsEnv(mesh.rpc),
      PM_TLS__ALLOWED_CLIENTS: JSON.stringify([API_ID]),
    }),
    apiEnv: () => ({
      ...tlsEnv(mesh.api),
      PM_TLS__SERVER_IDENTITIES: JSON.stringify([RPC_ID]),
    }),
  };
  mesh.api = mesh.volume(await mesh.issue(API_ID));
  mesh.rpc = mesh.volume(await mesh.issue(RPC_ID));
  return mesh;
}

/** The `tls.*` keys of a service using `volume`. */
export function tlsEnv(volume: SecretVolume): Record<string, string> {
  return {
    PM_TLS__MODE: 'mtls',
    PM_TLS__CERT_FILE: volume.certFile,
    PM_TLS__KEY_FILE: volume.keyFile,
    PM_TLS__CA_FILE: volume.caFile,
    // Tests rotate files and wait for the change to apply: re-read them often.
    PM_TLS__REFRESH_INTERVAL_MS: '200',
  };
}

let shared: Promise<TestMesh> | undefined;
/** One mesh for every service a test process starts without asking for its own. */
export const sharedMesh = (): Promise<TestMesh> => (shared ??= createTestMesh());
