// Zero trust on patient-rpc's call path, tried as an attacker inside the cluster would: an
// independent client (Python's grpcio, C core, stubs from the public proto) calls
// patient-rpc directly with every credential short of the real thing. Each attempt must be
// refused with the right status or a failed handshake, read and write nothing, be counted,
// and (when the peer is authenticated) leave a denied record in the audit trail.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { request } from '../support/http.ts';
import { API_ID, TRUST_DOMAIN, tlsEnv, type SecretVolume } from '../support/mesh.ts';
import { scrape, sampleValue } from '../support/metrics.ts';
import { runPythonClient } from '../support/python.ts';
import { apiEnv, createDatabase, rpcEnv, startService, testMesh, type ServiceProcess } from '../support/services.ts';
import { createTestKeys, unsignedToken, type TestKeys } from '../support/tokens.ts';
import { createAuthority, spiffeId } from '../../scripts/lib/pki.ts';
const INTRUDER_ID = spiffeId(TRUST_DOMAIN, 'test', 'intruder');

interface ProbeCase {
  name: string;
  tls: { ca: string; cert?: string; key?: string } | null;
  metadata: Array<[string, string]>;
}

describe('patient-rpc refuses every caller but patient-api acting for a verified user', () => {
  let keys: TestKeys;
  let rpc: ServiceProcess;
  let db: pg.Client;
  let patientId: string;
  let intruder: SecretVolume;
  let otherCa: SecretVolume;

  const probe = (cases: ProbeCase[]) =>
    runPythonClient<Record<string, Record<string, string>>>('probe_client.py', {
      target: `127.0.0.1:${rpc.ports.grpc}`,
      patientId,
      cases,
    });
  const counts = async () => {
    const { rows } = await db.query<{ patients: string; audit: string }>(
      'SELECT (SELECT count(*) FROM patients) AS patients, (SELECT count(*) FROM audit_log) AS audit',
    );
    return rows[0]!;
  };
  const forgedActor: Array<[string, string]> = [
    ['x-actor-sub', 'forged-admin'],
    ['x-actor-roles', 'clinician,auditor,importer'],
    ['x-request-id', 'forged-request'],
  ];
  const asApi = (volume: SecretVolume = testMesh.api) => ({
    ca: volume.caFile,
    cert: volume.certFile,
    key: volume.keyFile,
  });

  beforeAll(async () => {
    keys = await createTestKeys();
    const url = await createDatabase(inject('postgresUrl'), `zero_trust_${Date.now()}`);
    rpc = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, { PM_SEED__PATIENTS: '3', PM_DATABASE__URL: url }),
    });
    db = new pg.Client({ connectionString: url });
    await db.connect();
    ({ id: patientId } = (await db.query<{ id: string }>('SELECT id FROM patients LIMIT 1')).rows[0]!);
    intruder = testMesh.volume(await testMesh.issue(INTRUDER_ID));
    const foreign = await createAuthority('another CA');
    otherCa = testMesh.volume(await testMesh.issue(API_ID, { authority: foreign }), testMesh.ca.certPem);
  });
  afterAll(async () => {
    await db?.end();
    expect(await rpc?.stop()).toBe(0);
  });

  it('refuses plaintext, a missing or foreign certificate at the handshake, another identity and bad tokens per call', async () => {
    const valid = await keys.token({ sub: 'zt-user', roles: ['clinician', 'auditor'] });
    const bearer = (token: string): Array<[string, string]> => [['authorization', `Bearer ${token}`], ...forgedActor];
    const before = await counts();
    const metricsBefore = await scrape(rpc.ports.admin);

    const results = await probe([
      { name: 'plaintext with actor metadata', tls: null, metadata: forgedActor },
      { name: 'tls without a client certificate', tls: { ca: testMesh.api.caFile }, metadata: bearer(valid) },
      { name: "api's identity from another CA", tls: asApi(otherCa), metadata: bearer(valid) },
      { name: 'valid certificate of another identity', tls: asApi(intruder), metadata: bearer(valid) },
      { name: "api's certificate, no token", tls: asApi(), metadata: forgedActor },
      {
        name: "api's certificate, forged token",
        tls: asApi(),
        metadata: bearer(await keys.forged({ roles: ['clinician', 'auditor'] })),
      },
      {
        name: "api's certificate, alg none",
        tls: asApi(),
        metadata: bearer(unsignedToken({ roles: ['clinician', 'auditor'] })),
      },
      {
        name: "api's certificate, expired token",
        tls: asApi(),
        metadata: bearer(await keys.token({ expiresIn: -3600 })),
      },
      {
        name: "api's certificate, wrong audience",
        tls: asApi(),
        metadata: bearer(await keys.token({ aud: 'patient-rpc-admin' })),
      },
    ]);

    const everyCall = (code: string) => ({
      GetPatient: code,
      ListPatients: code,
      ListAuditRecords: code,
      CreatePatient: code,
    });
    expect(results).toEqual({
      'plaintext with actor metadata': everyCall('UNAVAILABLE'),
      'tls without a client certificate': everyCall('UNAVAILABLE'),
      "api's identity from another CA": everyCall('UNAVAILABLE'),
      'valid certificate of another identity': everyCall('PERMISSION_DENIED'),
      "api's certificate, no token": everyCall('UNAUTHENTICATED'),
      "api's certificate, forged token": everyCall('UNAUTHENTICATED'),
      "api's certificate, alg none": everyCall('UNAUTHENTICATED'),
      "api's certificate, expired token": everyCall('UNAUTHENTICATED'),
      "api's certificate, wrong audience": everyCall('UNAUTHENTICATED'),
    });

    // Nothing written but the denied attempts of authenticated peers: 6 cases × 4 calls.
    const after = await counts();
    expect(Number(after.patients)).toBe(Number(before.patients));
    const { rows: denied } = await db.query<{ actor: string; role: string; outcome: string; request_id: string }>(
      'SELECT actor, role, outcome, request_id FROM audit_log ORDER BY seq DESC LIMIT $1',
      [Number(after.audit) - Number(before.audit)],
    );
    expect(denied).toHaveLength(24);
    expect(new Set(denied.map((r) => `${r.outcome}/${r.role}/${r.request_id}`))).toEqual(new Set(['denied/none/']));
    expect(denied.filter((r) => r.actor === INTRUDER_ID)).toHaveLength(4);
    expect(denied.filter((r) => r.actor === API_ID)).toHaveLength(20);
    expect(denied.some((r) => r.actor === 'forged-admin')).toBe(false);

    // Every refusal counted, by reason.
    const metrics = await scrape(rpc.ports.admin);
    const delta = (name: string, reason: string) =>
      sampleValue(metrics, name, { reason }) - sampleValue(metricsBefore, name, { reason });
    expect(delta('tls_handshake_failures_total', 'not_tls')).toBeGreaterThanOrEqual(1);
    expect(delta('tls_handshake_failures_total', 'no_certificate')).toBeGreaterThanOrEqual(1);
    expect(delta('tls_handshake_failures_total', 'untrusted_certificate')).toBeGreaterThanOrEqual(1);
    expect(delta('grpc_server_peer_rejections_total', 'peer_not_allowed')).toBe(4);
    expect(delta('grpc_server_peer_rejections_total', 'token_missing')).toBe(4);
    expect(delta('grpc_server_peer_rejections_total', 'token_invalid')).toBe(16);
  });

  it("serves patient-api's identity with a valid token, auditing the verified subject and the request id", async () => {
    const token = await keys.token({ sub: 'zt-clinician', roles: ['clinician', 'auditor'] });
    const results = await probe([
      {
        name: 'control',
        tls: asApi(),
        metadata: [
          ['authorization', `Bearer ${token}`],
          ['x-actor-sub', 'forged-admin'],
          ['x-request-id', 'zt-control'],
        ],
      },
    ]);
    expect(results['control']).toEqual({
      GetPatient: 'OK',
      ListPatients: 'OK',
      ListAuditRecords: 'OK',
      CreatePatient: 'OK',
    });
    const { rows } = await db.query<{ actor: string; request_id: string }>(
      "SELECT DISTINCT actor, request_id FROM audit_log WHERE request_id = 'zt-control'",
    );
    expect(rows).toEqual([{ actor: 'zt-clinician', request_id: 'zt-control' }]);
  });

  it('does not advertise the service by reflection in production mode', async () => {
    const prod = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, { PM_SERVICE__ENVIRONMENT: 'production', PM_SEED__PATIENTS: '0' }),
    });
    try {
      const result = await runPythonClient('standard_client.py', {
        target: `127.0.0.1:${prod.ports.grpc}`,
        tls: asApi(),
        token: await keys.token(),
        skipPatients: true,
      });
      expect(result).toMatchObject({ reflection: { code: 'UNIMPLEMENTED' } });
    } finally {
      expect(await prod.stop()).toBe(0);
    }
  });

  it('patient-api sends nothing to a server presenting another identity of the same CA', async () => {
    const impostor = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, {
        ...tlsEnv(intruder),
        PM_TLS__ALLOWED_CLIENTS: JSON.stringify([API_ID]),
        PM_SEED__PATIENTS: '1',
      }),
    });
    const api = await startService('patient-api', {
      env: apiEnv(`127.0.0.1:${impostor.ports.grpc}`, keys.jwksFile, { PM_RESILIENCE__RETRY__MAX_RETRIES: '0' }),
    });
    try {
      const res = await request(`http://127.0.0.1:${api.ports.http}/api/v1/patients?limit=1`, {
        token: await keys.token(),
      });
      expect(res.status).toBe(503);
      // The handshake failed on patient-api's side: no call, so no token, reached the impostor.
      expect(sampleValue(await scrape(impostor.ports.admin), 'grpc_server_started_total')).toBe(0);
    } finally {
      await Promise.all([api.stop(), impostor.stop()]);
    }
  });
});
