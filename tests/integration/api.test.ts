// End to end through real processes: patient-api (HTTP) → patient-rpc (gRPC) → store,
// once on embedded PGlite and once on a real PostgreSQL server.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { request } from '../support/http.ts';
import {
  apiEnv,
  createDatabase,
  ROOT,
  rpcEnv,
  startService,
  testAuditKey,
  type ServiceProcess,
} from '../support/services.ts';
import { createTestKeys, hsWithPublicKey, unsignedToken, type TestKeys } from '../support/tokens.ts';

const run = promisify(execFile);

describe.each(['pglite', 'postgres'] as const)('patient API on %s', (backend) => {
  let keys: TestKeys;
  let rpc: ServiceProcess;
  let api: ServiceProcess;
  let base: string;
  let clinician: string;
  let auditor: string;
  let databaseUrl = '';

  beforeAll(async () => {
    keys = await createTestKeys();
    if (backend === 'postgres') databaseUrl = await createDatabase(inject('postgresUrl'), `api_${Date.now()}`);
    rpc = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, { PM_SEED__PATIENTS: '5', ...(databaseUrl && { PM_DATABASE__URL: databaseUrl }) }),
    });
    api = await startService('patient-api', { env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile) });
    base = `http://127.0.0.1:${api.ports.http}`;
    clinician = await keys.token({ sub: 'dr-who', roles: ['clinician'] });
    auditor = await keys.token({ sub: 'auditor-1', roles: ['auditor'] });
  });

  afterAll(async () => {
    if (process.env['DEBUG_LOGS'])
      console.log(
        rpc.stderr(),
        rpc.logs.filter((l) => l.level !== 'info'),
        api.logs.filter((l) => l.level !== 'info'),
      );
    expect(await api?.stop()).toBe(0);
    expect(await rpc?.stop()).toBe(0);
  });

  const firstPatientId = async () =>
    (await request(`${base}/api/v1/patients?limit=1`, { token: clinician })).body.items[0].id as string;

  it('returns a patient on the original and the plural path', async () => {
    const id = await firstPatientId();
    for (const path of [`/api/v1/patients/${id}`, `/api/v1/patient/${id}`]) {
      const res = await request(`${base}${path}`, { token: clinician });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id,
        trialId: expect.stringMatching(/^TRIAL-/),
        birthDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('creates patients and pages through all of them with a keyset cursor', async () => {
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await request(`${base}/api/v1/patients`, {
        token: clinician,
        body: {
          trialId: 'TRIAL-PAGE',
          siteId: 'SITE-001',
          subjectCode: `S-${backend}-${i}`,
          givenName: 'Test',
          familyName: `Page ${i}`,
          birthDate: '1980-02-03',
          sex: 'female',
        },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`/api/v1/patients/${res.body.id}`);
      created.push(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const res = await request(`${base}/api/v1/patients?limit=3${cursor ? `&cursor=${cursor}` : ''}`, {
        token: clinician,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((p: { id: string }) => p.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(created));
    expect(seen.length).toBe(5 + 7);

    const dup = await request(`${base}/api/v1/patients`, {
      token: clinician,
      body: {
        trialId: 'TRIAL-PAGE',
        siteId: 'SITE-001',
        subjectCode: `S-${backend}-0`,
        givenName: 'Test',
        familyName: 'Dup',
        birthDate: '1980-02-03',
        sex: 'male',
      },
    });
    expect(dup.status).toBe(409);
  });

  it('scores PHQ-9 and GAD-7 with the published bands and flags PHQ-9 item 9', async () => {
    const id = await firstPatientId();
    const submit = (instrument: string, answers: number[]) =>
      request(`${base}/api/v1/patients/${id}/questionnaires`, {
        token: clinician,
        body: { submissionId: randomUUID(), instrument, answers },
      });
    const cases: Array<[string, number[], number, string, string[]]> = [
      ['phq9', [0, 0, 0, 0, 0, 0, 0, 0, 0], 0, 'minimal', []],
      ['phq9', [1, 1, 1, 1, 1, 0, 0, 0, 0], 5, 'mild', []],
      ['phq9', [2, 2, 2, 2, 2, 0, 0, 0, 0], 10, 'moderate', []],
      ['phq9', [3, 3, 3, 3, 3, 0, 0, 0, 0], 15, 'moderately_severe', []],
      ['phq9', [3, 3, 3, 3, 3, 3, 2, 0, 1], 21, 'severe', ['phq9_item9_positive']],
      ['phq9', [0, 0, 0, 0, 0, 0, 0, 0, 1], 1, 'minimal', ['phq9_item9_positive']],
      ['gad7', [1, 1, 1, 1, 0, 0, 0], 4, 'minimal', []],
      ['gad7', [3, 3, 3, 3, 3, 0, 0], 15, 'severe', []],
    ];
    for (const [instrument, answers, total, severity, flags] of cases) {
      const res = await submit(instrument, answers);
      expect(res.status, `${instrument} ${answers}`).toBe(201);
      expect(res.body).toMatchObject({ instrument, totalScore: total, severity, flags, patientId: id });
    }
  });

  it('stores a repeated submission id once and returns the same result', async () => {
    const id = await firstPatientId();
    const body = { submissionId: randomUUID(), instrument: 'gad7', answers: [2, 2, 2, 2, 2, 0, 0] };
    const first = await request(`${base}/api/v1/patients/${id}/questionnaires`, { token: clinician, body });
    const again = await request(`${base}/api/v1/patients/${id}/questionnaires`, { token: clinician, body });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const changed = await request(`${base}/api/v1/patients/${id}/questionnaires`, {
      token: clinician,
      body: { ...body, answers: [0, 0, 0, 0, 0, 0, 0] },
    });
    expect(changed.status).toBe(409);
    if (databaseUrl) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      const { rows } = await client.query(
        'SELECT count(*)::int AS n FROM questionnaire_responses WHERE submission_id = $1',
        [body.submissionId],
      );
      await client.end();
      expect(rows[0].n).toBe(1);
    }
  });

  describe('bad input', () => {
    const noStack = (text: string) => expect(text).not.toMatch(/\bat .+\.(js|ts):\d+|node_modules|Error:/);

    it('malformed id → 400 naming params.id; unknown id → 404', async () => {
      const bad = await request(`${base}/api/v1/patients/not-a-uuid`, { token: clinician });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(bad.body.errors[0].path).toBe('params.id');
      const unknown = await request(`${base}/api/v1/patients/${randomUUID()}`, { token: clinician });
      expect(unknown.status).toBe(404);
      noStack(bad.text + unknown.text);
    });

    it('non-JSON body → 400, wrong content type → 415, oversized body → 413', async () => {
      const url = `${base}/api/v1/patients`;
      const malformed = await request(url, {
        token: clinician,
        rawBody: '{"trialId": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(malformed.status).toBe(400);
      const wrongType = await request(url, {
        token: clinician,
        rawBody: 'trialId=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(wrongType.status).toBe(415);
      const huge = await request(url, {
        token: clinician,
        rawBody: JSON.stringify({ givenName: 'x'.repeat(2 * 1024 * 1024) }),
        headers: { 'content-type': 'application/json' },
      });
      expect(huge.status).toBe(413);
      noStack(malformed.text + wrongType.text + huge.text);
    });

    it('unknown fields and out-of-range answers → 400 with the field path', async () => {
      const id = await firstPatientId();
      const unknownField = await request(`${base}/api/v1/patients`, {
        token: clinician,
        body: {
          trialId: 'T',
          siteId: 'S',
          subjectCode: 'X',
          givenName: 'a',
          familyName: 'b',
          birthDate: '1990-01-01',
          sex: 'male',
          ssn: '123',
        },
      });
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.errors.map((e: { path: string }) => e.path)).toContain('body.ssn');
      const outOfRange = await request(`${base}/api/v1/patients/${id}/questionnaires`, {
        token: clinician,
        body: { submissionId: randomUUID(), instrument: 'phq9', answers: [0, 1, 2, 4, 0, 0, 0, 0, 0] },
      });
      expect(outOfRange.status).toBe(400);
      expect(outOfRange.body.errors[0].path).toBe('body.answers[3]');
      const tooFew = await request(`${base}/api/v1/patients/${id}/questionnaires`, {
        token: clinician,
        body: { submissionId: randomUUID(), instrument: 'gad7', answers: [0, 1] },
      });
      expect(tooFew.status).toBe(400);
      expect(tooFew.body.errors[0].path).toBe('body.answers');
    });

    it('missing, expired, forged, alg none and HS256-with-public-key tokens → 401 with WWW-Authenticate', async () => {
      const id = await firstPatientId();
      const url = `${base}/api/v1/patients/${id}`;
      const tokens = {
        missing: undefined,
        expired: await keys.token({ expiresIn: -120 }),
        forged: await keys.forged(),
        none: unsignedToken(),
        hsConfusion: await hsWithPublicKey(keys.publicJwk),
        wrongAudience: await keys.token({ aud: 'someone-else' }),
        garbage: 'abc.def.ghi',
      };
      for (const [name, token] of Object.entries(tokens)) {
        const res = await request(url, token ? { token } : {});
        expect(res.status, name).toBe(401);
        expect(res.headers.get('www-authenticate'), name).toMatch(/^Bearer realm="patient-mesh"/);
        noStack(res.text);
      }
    });

    it('wrong role → 403', async () => {
      const id = await firstPatientId();
      const importer = await keys.token({ sub: 'importer-1', roles: ['importer'] });
      expect((await request(`${base}/api/v1/patients/${id}`, { token: importer })).status).toBe(403);
      expect((await request(`${base}/api/v1/audit?patientId=${id}`, { token: clinician })).status).toBe(403);
    });
  });

  it('appends one chained audit record per read, including denied and not-found attempts', async () => {
    const id = (
      await request(`${base}/api/v1/patients`, {
        token: clinician,
        body: {
          trialId: 'TRIAL-AUDIT',
          siteId: 'SITE-009',
          subjectCode: `A-${backend}`,
          givenName: 'Audit',
          familyName: 'Subject',
          birthDate: '1975-05-05',
          sex: 'unknown',
        },
      })
    ).body.id as string;
    const reads = 6;
    for (let i = 0; i < reads; i++)
      expect((await request(`${base}/api/v1/patients/${id}`, { token: clinician })).status).toBe(200);
    const importer = await keys.token({ sub: 'importer-2', roles: ['importer'] });
    expect((await request(`${base}/api/v1/patients/${id}`, { token: importer })).status).toBe(403);

    const trail = await request(`${base}/api/v1/audit?patientId=${id}&limit=500`, { token: auditor });
    expect(trail.status).toBe(200);
    const records = trail.body.items as Array<Record<string, string>>;
    const byAction = (action: string, outcome: string) =>
      records.filter((r) => r.action === action && r.outcome === outcome);
    expect(byAction('patient.create', 'ok')).toHaveLength(1);
    expect(byAction('patient.read', 'ok')).toHaveLength(reads);
    expect(byAction('patient.read', 'denied')).toEqual([
      expect.objectContaining({ actor: 'importer-2', role: 'importer' }),
    ]);
    for (const r of byAction('patient.read', 'ok'))
      expect(r).toMatchObject({ actor: 'dr-who', role: 'clinician', requestId: expect.any(String) });
    const seqs = records.map((r) => BigInt(r.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : 1)));

    const unknown = randomUUID();
    expect((await request(`${base}/api/v1/patients/${unknown}`, { token: clinician })).status).toBe(404);
    const missing = await request(`${base}/api/v1/audit?patientId=${unknown}`, { token: auditor });
    expect(missing.body.items.map((r: Record<string, string>) => r.outcome)).toEqual(['not_found']);
  });

  it.runIf(backend === 'postgres')(
    'audit rows cannot be changed through the database; audit-verify checks the log against its checkpoints',
    async () => {
      const id = await firstPatientId();
      for (let i = 0; i < 5; i++) await request(`${base}/api/v1/patients/${id}`, { token: clinician });
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        // The database refuses it: the trail is append-only (a trigger, whatever the grants;
        // audit-ledger.test.ts shows what audit-verify finds when an owner gets past it).
        await expect(client.query("UPDATE audit_log SET actor = 'mallory'")).rejects.toThrow(
          /UPDATE on audit_log refused: the audit trail is append-only/,
        );
        await expect(client.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
        await expect(client.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
      } finally {
        await client.end();
      }
      const args = [
        'scripts/audit-verify.ts',
        '--database-url',
        databaseUrl,
        '--verifier-key',
        testAuditKey.verifierKey,
      ];
      const { stdout } = await run(process.execPath, args, { cwd: ROOT });
      expect(stdout).toMatch(/audit log matches \d+ signed checkpoints/);
    },
  );

  it('serves an OpenAPI 3.1 document generated from the request schemas', async () => {
    const res = await request(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/patients/{id}',
        '/api/v1/patient/{id}',
        '/api/v1/patients',
        '/api/v1/patients/{id}/questionnaires',
        '/api/v1/audit',
      ]),
    );
    expect(res.body.components.schemas.QuestionnaireSubmission.properties.instrument.enum).toEqual(['phq9', 'gad7']);
    expect(res.body.components.schemas.NewPatient.additionalProperties).toBe(false);
  });
});

describe('patient-rpc down', () => {
  it('answers 503 problem+json promptly, and the api stays up', async () => {
    const keys = await createTestKeys();
    const api = await startService('patient-api', { env: apiEnv('127.0.0.1:1', keys.jwksFile) });
    try {
      const token = await keys.token();
      for (let i = 0; i < 5; i++) {
        const res = await request(`http://127.0.0.1:${api.ports.http}/api/v1/patients/${randomUUID()}`, { token });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(res.body).toMatchObject({ status: 503, reason: 'rpc_unavailable' });
      }
      expect((await fetch(`http://127.0.0.1:${api.ports.admin}/livez`)).status).toBe(200);
    } finally {
      expect(await api.stop()).toBe(0);
    }
  });
});
