import { status } from '@grpc/grpc-js';
import type { Patient } from '@patient-mesh/contract';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serviceError } from './testing/fakePatientClient.js';
import { startTestApp, type TestApp } from './testing/testApp.js';

const ID = '0b7e4a9c-3f2d-4e1a-8c5b-6d7e8f9a0b1c';
const PATIENT: Patient = {
  id: ID,
  trialId: 'TRIAL-0001',
  siteId: 'SITE-001',
  subjectCode: 'SUBJ-0042',
  givenName: 'Ada',
  familyName: 'Lovelace',
  birthDate: '1970-01-31',
  sex: 'female',
  createdAt: '2025-01-02T03:04:05.000Z',
};
const NEW_PATIENT = (({ id: _id, createdAt: _createdAt, ...rest }) => rest)(PATIENT);

let app: TestApp;
let clinician: string;
let importer: string;

beforeAll(async () => {
  app = await startTestApp();
  [clinician, importer] = await Promise.all([app.keys.token(), app.keys.token({ roles: ['importer'] })]);
});
afterAll(() => app.close());
beforeEach(() => {
  app.rpc.calls.length = 0;
});

const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
  fetch(app.url + path, { headers: { ...(token && { authorization: `Bearer ${token}` }), ...headers } });
const post = (path: string, body: unknown, token = clinician) =>
  fetch(app.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** The problem+json body of `res`, after checking its status and content type. */
async function problem(res: Response, statusCode: number) {
  expect(res.status).toBe(statusCode);
  expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
  return (await res.json()) as Record<string, unknown>;
}

describe('createApp authentication', () => {
  it('answers a request without a token 401 with WWW-Authenticate, not stored by caches, naming its request', async () => {
    const res = await get(`/api/v1/patients/${ID}`, undefined, { 'x-request-id': 'req-1' });
    expect(await problem(res, 401)).toEqual({
      type: 'about:blank',
      title: 'Authentication required',
      status: 401,
      reason: 'missing_token',
      instance: `/api/v1/patients/${ID}`,
      requestId: 'req-1',
    });
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="patient-mesh"');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-request-id')).toBe('req-1');
    expect(app.rpc.calls).toEqual([]);
  });

  it('answers a token whose signature does not verify, or that expired, 401 invalid_token with the reason', async () => {
    const forged = await get(`/api/v1/patients/${ID}`, await app.keys.forged());
    expect(await problem(forged, 401)).toMatchObject({ reason: 'invalid_token', detail: 'signature does not verify' });
    expect(forged.headers.get('www-authenticate')).toBe(
      'Bearer realm="patient-mesh", error="invalid_token", error_description="signature does not verify"',
    );
    const expired = await get(`/api/v1/patients/${ID}`, await app.keys.token({ expiresIn: -3600 }));
    expect(await problem(expired, 401)).toMatchObject({ reason: 'invalid_token', detail: 'token expired' });
    // A header that is not a bearer token at all.
    expect(await problem(await get('/api/v1/patients', undefined, { authorization: 'Basic eDp5' }), 401)).toMatchObject(
      {
        reason: 'missing_token',
      },
    );
    expect(app.rpc.calls).toEqual([]);
  });

  it('replaces an inbound request id that is not a safe token by a new one', async () => {
    const res = await get('/api/v1/patients', undefined, { 'x-request-id': 'has spaces' });
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await problem(res, 401))['requestId']).toBe(id);
  });
});

describe('createApp authorisation and validation', () => {
  it('checks the role before validating: a caller without it gets 403 and learns nothing of the schema', async () => {
    app.rpc.answer('GetPatient', () => {
      throw serviceError(status.PERMISSION_DENIED, 'role clinician required');
    });
    const res = await get('/api/v1/patients/not-a-uuid', importer, { 'x-request-id': 'req-denied' });
    expect(await problem(res, 403)).toMatchObject({ title: 'Forbidden', reason: 'forbidden' });
    // The denial is still sent to patient-rpc, which audits it: with the path's id, the
    // caller's own token and the request's id and deadline.
    expect(app.rpc.calls).toEqual([
      {
        method: 'GetPatient',
        request: { id: 'not-a-uuid' },
        options: expect.objectContaining({ token: importer, requestId: 'req-denied', deadline: expect.any(Number) }),
      },
    ]);
  });

  it('answers 403 even when patient-rpc lets a refused call through', async () => {
    app.rpc.answer('ListPatients', () => ({ patients: [], nextPageToken: '' }));
    expect(await problem(await get('/api/v1/patients', importer), 403)).toMatchObject({ reason: 'forbidden' });
  });

  it('answers an invalid path, query or body 400 with the path of every invalid field, without calling patient-rpc', async () => {
    expect(await problem(await get('/api/v1/patients/not-a-uuid', clinician), 400)).toMatchObject({
      title: 'Invalid request',
      reason: 'validation',
      errors: [{ path: 'params.id', message: expect.any(String) }],
    });
    expect(await problem(await get('/api/v1/patients?limit=0&page=2', clinician), 400)).toMatchObject({
      errors: expect.arrayContaining([
        { path: 'query.limit', message: expect.any(String) },
        { path: 'query.page', message: 'unknown field: page' },
      ]),
    });
    const body = await problem(
      await post(`/api/v1/patients/${ID}/questionnaires`, {
        submissionId: '5f0c2a1b-9d8e-4f7a-b6c5-d4e3f2a1b0c9',
        instrument: 'gad7',
        answers: [0, 1, 2, 7, 0, 1, 2],
      }),
      400,
    );
    expect(body).toMatchObject({ errors: [{ path: 'body.answers[3]', message: expect.any(String) }] });
    expect(body['detail']).toBe((body['errors'] as { message: string }[])[0]!.message);
    expect(app.rpc.calls).toEqual([]);
  });
});

describe('createApp routing', () => {
  it('answers a path no route has 404, and a method its route lacks 405 with Allow', async () => {
    expect(await problem(await get('/nowhere'), 404)).toMatchObject({
      reason: 'no_route',
      detail: 'no route for GET /nowhere',
    });
    const del = await fetch(`${app.url}/api/v1/patients/${ID}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${clinician}` },
    });
    expect(await problem(del, 405)).toMatchObject({
      title: 'Method not allowed',
      reason: 'method_not_allowed',
      detail: 'DELETE is not allowed on /api/v1/patients/:id',
    });
    expect(del.headers.get('allow')).toBe('GET, HEAD');
    expect(del.headers.get('cache-control')).toBe('no-store');
    const put = await fetch(`${app.url}/openapi.json`, { method: 'PUT' });
    expect(await problem(put, 405)).toMatchObject({ reason: 'method_not_allowed' });
    expect(put.headers.get('allow')).toBe('GET, HEAD');
  });

  it('serves the OpenAPI document without auth, cacheable; every API answer is no-store', async () => {
    const doc = await get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.headers.get('cache-control')).toBeNull();
    expect(((await doc.json()) as { info: { version: string } }).info.version).toBe('0.0.0-test');
    app.rpc.answer('GetPatient', () => PATIENT);
    const ok = await get(`/api/v1/patients/${ID}`, clinician);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('createApp translations', () => {
  it('reads a patient under both paths, forwarding the caller and the request', async () => {
    app.rpc.answer('GetPatient', () => PATIENT);
    for (const path of [`/api/v1/patients/${ID}`, `/api/v1/patient/${ID}`]) {
      const res = await get(path, clinician);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(PATIENT);
    }
    expect(app.rpc.calls.map((c) => [c.method, c.request, c.options.token])).toEqual([
      ['GetPatient', { id: ID }, clinician],
      ['GetPatient', { id: ID }, clinician],
    ]);
  });

  it('pages with limit and cursor, answering nextCursor only while there is a next page', async () => {
    app.rpc.answer('ListPatients', (req) => ({
      patients: [PATIENT],
      nextPageToken: req.pageToken === 'last' ? '' : 'next-token',
    }));
    const first = await get('/api/v1/patients?limit=1', clinician);
    expect(await first.json()).toEqual({ items: [PATIENT], nextCursor: 'next-token' });
    const last = await get('/api/v1/patients?cursor=last', clinician);
    expect(await last.json()).toEqual({ items: [PATIENT] });
    expect(app.rpc.calls.map((c) => c.request)).toEqual([
      { pageSize: 1, pageToken: '' },
      { pageSize: 20, pageToken: 'last' },
    ]);
  });

  it('creates a patient: 201 with its Location', async () => {
    app.rpc.answer('CreatePatient', () => PATIENT);
    const res = await post('/api/v1/patients', NEW_PATIENT);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/v1/patients/${ID}`);
    expect(app.rpc.calls[0]!.request).toEqual(NEW_PATIENT);
  });

  it('submits a questionnaire: 201 when stored, 200 when the submission id was already stored', async () => {
    const submission = {
      submissionId: '5f0c2a1b-9d8e-4f7a-b6c5-d4e3f2a1b0c9',
      instrument: 'phq9',
      answers: [0, 1, 2, 3, 0, 1, 2, 3, 1],
    };
    let replayed = false;
    app.rpc.answer('SubmitQuestionnaire', (req) => ({
      submissionId: req.submissionId!,
      patientId: req.patientId!,
      instrument: 'INSTRUMENT_PHQ9' as const,
      totalScore: 13,
      severity: 'moderate',
      flags: ['phq9_item9_positive'],
      completedAt: '2025-01-02T03:04:05.000Z',
      recordedAt: '2025-01-02T03:04:06.000Z',
      replayed,
    }));
    const stored = await post(`/api/v1/patients/${ID}/questionnaires`, submission);
    expect(stored.status).toBe(201);
    expect(await stored.json()).toEqual({
      submissionId: submission.submissionId,
      patientId: ID,
      instrument: 'phq9',
      totalScore: 13,
      severity: 'moderate',
      flags: ['phq9_item9_positive'],
      completedAt: '2025-01-02T03:04:05.000Z',
      recordedAt: '2025-01-02T03:04:06.000Z',
    });
    replayed = true;
    expect((await post(`/api/v1/patients/${ID}/questionnaires`, submission)).status).toBe(200);
    expect(app.rpc.calls[0]!.request).toEqual({
      patientId: ID,
      submissionId: submission.submissionId,
      instrument: 'INSTRUMENT_PHQ9',
      answers: submission.answers,
      completedAt: '',
    });
  });

  it("reads a patient's audit trail and a record's proof as the auditor", async () => {
    const auditor = await app.keys.token({ sub: 'auditor-1', roles: ['auditor'] });
    app.rpc.answer('ListAuditRecords', () => ({ records: [], nextPageToken: 'more' }));
    const page = await get(`/api/v1/audit?patientId=${ID}&limit=2&cursor=c1`, auditor);
    expect(await page.json()).toEqual({ items: [], nextCursor: 'more' });
    expect(app.rpc.calls[0]!.request).toEqual({ patientId: ID, pageSize: 2, pageToken: 'c1' });
    app.rpc.answer('GetAuditProof', () => ({
      record: undefined as never,
      leafData: Buffer.from('leaf'),
      leafIndex: '6',
      treeSize: '9',
      inclusion: [Buffer.from([1, 2, 3])],
      checkpoint: 'note',
    }));
    const proof = await get('/api/v1/audit/7/proof?treeSize=9', auditor);
    expect(proof.status).toBe(200);
    expect(await proof.json()).toEqual({
      leafData: Buffer.from('leaf').toString('base64'),
      leafIndex: 6,
      treeSize: 9,
      inclusion: ['AQID'],
      checkpoint: 'note',
    });
    expect(app.rpc.calls[1]!.request).toEqual({ seq: '7', treeSize: '9' });
  });
});

describe('createApp rate limits', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await startTestApp({
      rateLimit: { enabled: true, subject: { burst: 2, perSecond: 0.4 }, global: { burst: 4, perSecond: 4 } },
    });
    limited.rpc.answer('GetPatient', () => PATIENT);
  });
  afterAll(() => limited.close());

  it('limits each subject: RateLimit headers on every answer, then 429 with Retry-After, until the bucket refills', async () => {
    const token = await limited.keys.token({ sub: 'busy' });
    const read = () => fetch(`${limited.url}/api/v1/patients/${ID}`, { headers: { authorization: `Bearer ${token}` } });
    const first = await read();
    expect(first.status).toBe(200);
    expect([first.headers.get('ratelimit-limit'), first.headers.get('ratelimit-remaining')]).toEqual(['2', '1']);
    expect((await read()).status).toBe(200);
    const refused = await read();
    expect(await problem(refused, 429)).toMatchObject({
      title: 'Too many requests',
      reason: 'rate_limited',
      detail: 'this caller is over its request limit',
    });
    // One token every 2.5 s, said in whole seconds.
    expect(refused.headers.get('retry-after')).toBe('3');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('ratelimit-reset')).toBe('3');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    // Another subject has a bucket of its own; this one refills with time.
    const other = await limited.keys.token({ sub: 'calm' });
    expect(
      (await fetch(`${limited.url}/api/v1/patients/${ID}`, { headers: { authorization: `Bearer ${other}` } })).status,
    ).toBe(200);
    limited.clock.now += 2500;
    expect((await read()).status).toBe(200);
  });

  it('limits the whole process before authentication', async () => {
    // Ten seconds on, the global bucket is full again: 4 requests pass it, to fail auth.
    limited.clock.now += 10_000;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await fetch(`${limited.url}/api/v1/patients/${ID}`));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 429]);
    expect(await problem(answers[4]!, 429)).toMatchObject({ reason: 'rate_limited_global' });
    // The next token in 0.25 s: Retry-After is at least 1.
    expect(answers[4]!.headers.get('retry-after')).toBe('1');
    expect(answers[4]!.headers.get('ratelimit-limit')).toBe('4');
  });
});
