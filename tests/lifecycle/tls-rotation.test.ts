// Certificate rotation under load, the way cert-manager and the kubelet do it: both
// services' certificates are replaced on disk (an atomic symlink swap), then the CA is
// rotated with an overlap (bundle old+new, leaves from the new CA, bundle new only). No
// restart, no failed request; new connections present the new certificates. patient-rpc
// sends GOAWAY to connections older than a second here, so patient-api re-handshakes with
// the material of the moment many times during the run.
import { connect } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuthority, type Issued } from '../../scripts/lib/pki.ts';
import { API_ID, createTestMesh, RPC_ID, type SecretVolume, type TestMesh } from '../support/mesh.ts';
import { apiEnv, rpcEnv, startService, type LogRecord, type ServiceProcess } from '../support/services.ts';
import { createTestKeys } from '../support/tokens.ts';
import { LOAD_TEST_API_ENV, startLoad } from './harness/loadGenerator.ts';

let mesh: TestMesh;
let rpc: ServiceProcess;
let api: ServiceProcess;
let token: string;
let patientId: string;

beforeAll(async () => {
  mesh = await createTestMesh();
  const keys = await createTestKeys();
  token = await keys.token();
  rpc = await startService('patient-rpc', {
    env: rpcEnv(keys.jwksFile, { ...mesh.rpcEnv(), PM_SEED__PATIENTS: '3', PM_GRPC__MAX_CONNECTION_AGE_SECONDS: '1' }),
  });
  api = await startService('patient-api', {
    env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, { ...mesh.apiEnv(), ...LOAD_TEST_API_ENV }),
  });
  const page = await fetch(`http://127.0.0.1:${api.ports.http}/api/v1/patients?limit=1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  patientId = ((await page.json()) as { items: Array<{ id: string }> }).items[0]!.id;
});
afterAll(async () => {
  expect(await api?.stop()).toBe(0);
  expect(await rpc?.stop()).toBe(0);
});

/** The next log of `service` from now on that matches; `what` names it if it never comes. */
async function nextLog(service: ServiceProcess, what: string, match: (r: LogRecord) => boolean): Promise<LogRecord> {
  const from = service.logs.length;
  try {
    return await service.waitForLog((r) => service.logs.indexOf(r) >= from && match(r), 30_000);
  } catch (error) {
    const tlsLogs = service.logs.slice(from).filter((r) => r.msg.startsWith('tls'));
    throw new Error(`${service.name}: no ${what}; tls logs since: ${JSON.stringify(tlsLogs).slice(0, 3000)}`, {
      cause: error,
    });
  }
}

const loaded = (certificate: 'identity' | 'ca', serials: string[]) => (r: LogRecord) =>
  r.msg === 'tls material loaded' &&
  r['certificate'] === certificate &&
  JSON.stringify((r['certificates'] as Array<{ serial: string }>).map((c) => c.serial)) === JSON.stringify(serials);

const current = new Map<ServiceProcess, { leaf: string; bundle: string }>();

/** Replaces a volume's files and waits until its service has loaded what changed. */
async function rotate(
  service: ServiceProcess,
  volume: SecretVolume,
  leaf: Issued,
  bundle: { pem: string; serials: string[] },
) {
  const before = current.get(service);
  const waits = [];
  if (before?.leaf !== leaf.serial)
    waits.push(nextLog(service, `identity ${leaf.serial}`, loaded('identity', [leaf.serial])));
  if (before?.bundle !== bundle.pem)
    waits.push(nextLog(service, `trust ${bundle.serials.join('+')}`, loaded('ca', bundle.serials)));
  mesh.rotate(volume, leaf, bundle.pem);
  current.set(service, { leaf: leaf.serial, bundle: bundle.pem });
  await Promise.all(waits);
}

/** A new TLS connection to patient-rpc with `client` credentials: the serial it presents, or the error. */
function handshake(client: { cert: string; key: string }, caPem: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port: rpc.ports.grpc!,
        ca: caPem,
        ...client,
        ALPNProtocols: ['h2'],
        checkServerIdentity: () => undefined,
      },
      () => {
        const serial = socket.getPeerCertificate().serialNumber;
        // A refused client certificate shows only after the server has read it: wait for its verdict.
        socket.once('data', () => (socket.destroy(), resolve(serial)));
        socket.once('close', () => resolve(`refused (${serial})`));
      },
    );
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(`error: ${error.code ?? error.message}`));
  });
}

it('rotates leaf certificates and then the CA under load with no failed request', async () => {
  const load = startLoad({
    url: `http://127.0.0.1:${api.ports.http}/api/v1/patients/${patientId}`,
    headers: { authorization: `Bearer ${token}` },
    connections: 8,
    durationMs: 120_000,
    maxRequests: 500_000,
  });
  await load.okCount(200);
  const oldCa = { pem: mesh.ca.certPem, serials: [mesh.ca.serial] };
  for (const service of [rpc, api]) current.set(service, { leaf: '', bundle: oldCa.pem });

  // 1. New leaves from the same CA (cert-manager renewing at renewBefore).
  const rpcLeaf = await mesh.issue(RPC_ID);
  const apiLeaf = await mesh.issue(API_ID);
  const apiReconnected = nextLog(
    rpc,
    'api reconnect',
    (r) => r.msg === 'tls peer connected' && r['serial'] === apiLeaf.serial,
  );
  await Promise.all([rotate(rpc, mesh.rpc, rpcLeaf, oldCa), rotate(api, mesh.api, apiLeaf, oldCa)]);
  expect(await handshake({ cert: apiLeaf.certPem, key: apiLeaf.keyPem }, oldCa.pem)).toBe(rpcLeaf.serial);
  await apiReconnected;

  // 2. CA rotation with an overlap: trust both, move the leaves to the new CA, drop the old one.
  const newAuthority = await createAuthority('patient-mesh test CA 2');
  const both = { pem: oldCa.pem + newAuthority.certPem, serials: [...oldCa.serials, newAuthority.serial] };
  const newCa = { pem: newAuthority.certPem, serials: [newAuthority.serial] };
  await Promise.all([rotate(rpc, mesh.rpc, rpcLeaf, both), rotate(api, mesh.api, apiLeaf, both)]);
  const rpcLeaf2 = await mesh.issue(RPC_ID, { authority: newAuthority });
  const apiLeaf2 = await mesh.issue(API_ID, { authority: newAuthority });
  await Promise.all([rotate(rpc, mesh.rpc, rpcLeaf2, both), rotate(api, mesh.api, apiLeaf2, both)]);
  await Promise.all([rotate(rpc, mesh.rpc, rpcLeaf2, newCa), rotate(api, mesh.api, apiLeaf2, newCa)]);
  // patient-api's next handshake, under the new CA only, presents its new certificate.
  await nextLog(
    rpc,
    'api reconnect under the new CA',
    (r) => r.msg === 'tls peer connected' && r['serial'] === apiLeaf2.serial,
  );

  expect(await handshake({ cert: apiLeaf2.certPem, key: apiLeaf2.keyPem }, newCa.pem)).toBe(rpcLeaf2.serial);
  // A certificate of the old CA no longer gets in.
  expect(await handshake({ cert: apiLeaf.certPem, key: apiLeaf.keyPem }, newCa.pem)).toMatch(/^refused|^error/);
  const okBefore = load.ok;
  await load.okCount(okBefore + 200);
  load.stop();
  const result = await load.result;
  expect(result.failures).toEqual([]);
  expect(result.failed).toBe(0);
  expect(result.ok).toBeGreaterThan(400);
});
