// Bad input, sent as a careless (or hostile) client would, through real processes on a real
// PostgreSQL: each is answered 4xx problem+json with a field path or a reason, is refused
// before it reaches the store, and what was accepted before it is still there.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withDb } from '../support/db.ts';
import { request, type JsonResponse } from '../support/http.ts';
import { apiEnv, createDatabase, rpcEnv, startService, type ServiceProcess } from '../support/services.ts';
import { createTestKeys, type TestKeys } from '../support/tokens.ts';

/** The body idle timeout of the api under test. */
const BODY_IDLE_MS = 400;

let keys: TestKeys;
let rpc: ServiceProcess;
let api: ServiceProcess;
let base: string;
let databaseUrl: string;
let patientId: string;

/** A token of its own per test: each has its own rate-limit bucket. */
const tokenFor = (sub: string, roles = ['clinician']) => keys.token({ sub, roles });

const patient = (subjectCode: string, overrides: Record<string, unknown> = {}) => ({
  trialId: 'TRIAL-BAD',
  siteId: 'SITE-001',
  subjectCode,
  givenName: 'Ada',
  familyName: 'Lovelace',
  birthDate: '1980-02-03',
  sex: 'female',
  ...overrides,
});

function expectProblem(res: JsonResponse, status: number, match: Record<string, unknown>): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, ...match });
}

const stored = (subjectCode: string) =>
  withDb(databaseUrl, async (db) =>
    Number((await db.query('SELECT count(*) AS n FROM patients WHERE subject_code = $1', [subjectCode])).rows[0].n),
  );

/** Sends raw bytes on a new connection; resolves with everything the server sent before it closed. */
async function raw(port: number, bytes: string | Buffer, keepOpen?: (socket: Socket) => void): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  // A connection the server resets ends like one it closes: with what it sent (maybe nothing).
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(bytes);
  keepOpen?.(socket);
  // Not events.once: it would reject on the reset.
  await new Promise((resolve) => socket.once('close', resolve));
  return Buffer.concat(chunks).toString('utf8');
}

const problemOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as object;

beforeAll(async () => {
  keys = await createTestKeys();
  databaseUrl = await createDatabase(inject('postgresUrl'), `bad_input_${Date.now()}`);
  rpc = await startService('patient-rpc', { env: rpcEnv(keys.jwksFile, { PM_DATABASE__URL: databaseUrl }) });
  api = await startService('patient-api', {
    env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, {
      PM_HTTP__BODY_IDLE_TIMEOUT_MS: String(BODY_IDLE_MS),
      // Small buckets, refilled slowly: the rate-limit cases are over them however slow the machine.
      PM_RATE_LIMIT__SUBJECT__BURST: '10',
      PM_RATE_LIMIT__SUBJECT__PER_SECOND: '0.5',
    }),
  });
  base = `http://127.0.0.1:${api.ports.http}`;
  const created = await request(`${base}/api/v1/patients`, {
    token: await tokenFor('setup'),
    body: patient('S-BAD-ACCEPTED'),
  });
  expect(created.status).toBe(201);
  patientId = created.body.id as string;
});

afterAll(async () => {
  expect(await api?.stop()).toBe(0);
  expect(await rpc?.stop()).toBe(0);
  // Nothing refused on the way left patient data in the logs.
  const logs = JSON.stringify([...(api?.logs ?? []), ...(rpc?.logs ?? [])]);
  for (const phi of ['Lovelace', '1980-02-03', 'S-BAD-']) expect(logs).not.toContain(phi);
});

describe('paths and queries', () => {
  it('answers a malformed percent-encoding 400 malformed_path', async () => {
    const res = await request(`${base}/api/v1/patients/%E0%A4%A`, { token: await tokenFor('pct') });
    expectProblem(res, 400, { reason: 'malformed_path' });
  });

  it('takes page sizes in decimal only, naming query.limit', async () => {
    const token = await tokenFor('limit');
    for (const limit of ['0x10', '1e1', '+5', '5.0', '%205']) {
      const res = await request(`${base}/api/v1/patients?limit=${limit}`, { token });
      expectProblem(res, 400, { errors: [{ path: 'query.limit', message: 'must be a decimal integer' }] });
    }
    expect((await request(`${base}/api/v1/patients?limit=5`, { token })).status).toBe(200);
  });

  it("names the query field of a cursor patient-rpc refuses, not patient-rpc's request field", async () => {
    const res = await request(`${base}/api/v1/patients?cursor=garbage`, { token: await tokenFor('cursor') });
    expectProblem(res, 400, { errors: [expect.objectContaining({ path: 'query.cursor' })] });
  });

  it('answers another method on a known path 405 with Allow', async () => {
    const token = await tokenFor('methods');
    const del = await request(`${base}/api/v1/patients/${patientId}`, { method: 'DELETE', token });
    expectProblem(del, 405, { reason: 'method_not_allowed' });
    expect(del.headers.get('allow')).toBe('GET, HEAD');
    const put = await request(`${base}/api/v1/patients`, { method: 'PUT', token, body: {} });
    expectProblem(put, 405, { reason: 'method_not_allowed' });
    expect(put.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'POST']);
    expectProblem(await request(`${base}/api/v1/nothing-here`, { token }), 404, { reason: 'no_route' });
    expect(await stored('S-BAD-ACCEPTED')).toBe(1);
  });
});

describe('bodies', () => {
  it('refuses control characters and unpaired surrogates in names, storing nothing', async () => {
    const token = await tokenFor('names');
    for (const [code, givenName] of [
      ['S-BAD-NUL', 'A\u0000b'],
      ['S-BAD-ESC', 'A\u001b[31mb'],
      ['S-BAD-SURROGATE', 'A\ud800b'],
    ] as const) {
      const res = await request(`${base}/api/v1/patients`, { token, body: patient(code, { givenName }) });
      expectProblem(res, 400, { errors: [expect.objectContaining({ path: 'body.givenName' })] });
      expect(await stored(code)).toBe(0);
    }
  });

  it('refuses charsets other than UTF-8 (415) and bytes that are not UTF-8 (400)', async () => {
    const token = await tokenFor('charsets');
    const body = JSON.stringify(patient('S-BAD-UTF7', { givenName: '+ADw-script+AD4-' }));
    for (const charset of ['utf-7', 'latin1', 'utf-16le']) {
      const res = await request(`${base}/api/v1/patients`, {
        token,
        rawBody: body,
        headers: { 'content-type': `application/json; charset=${charset}` },
      });
      expectProblem(res, 415, { reason: 'unsupported_charset' });
    }
    const invalid = Buffer.concat([
      Buffer.from('{"trialId":"TRIAL-BAD","siteId":"SITE-001","subjectCode":"S-BAD-UTF8","givenName":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('","familyName":"X","birthDate":"1980-02-03","sex":"female"}'),
    ]);
    const res = await request(`${base}/api/v1/patients`, {
      token,
      rawBody: invalid,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 400, { reason: 'malformed_utf8' });
    expect(await stored('S-BAD-UTF7')).toBe(0);
    expect(await stored('S-BAD-UTF8')).toBe(0);
    const upper = await request(`${base}/api/v1/patients`, {
      token,
      rawBody: JSON.stringify(patient('S-BAD-UPPER-UTF8')),
      headers: { 'content-type': 'application/json; charset=UTF-8' },
    });
    expect(upper.status, upper.text).toBe(201);
  });

  it('refuses a body that does not match its Content-Encoding, and inflates one that does', async () => {
    const token = await tokenFor('encoding');
    const json = JSON.stringify(patient('S-BAD-GZIP'));
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    expectProblem(await request(`${base}/api/v1/patients`, { token, rawBody: json, headers }), 400, {
      reason: 'malformed_encoding',
    });
    expect(await stored('S-BAD-GZIP')).toBe(0);
    const ok = await request(`${base}/api/v1/patients`, { token, rawBody: gzipSync(json), headers });
    expect(ok.status, ok.text).toBe(201);
  });

  it('refuses completion times that are not RFC 3339, before 2000 or in the future', async () => {
    const token = await tokenFor('times');
    for (const completedAt of ['9999-01-01T00:00:00Z', '1999-12-31T23:59:59Z', '1', '2026-01-31 09:30']) {
      const res = await request(`${base}/api/v1/patients/${patientId}/questionnaires`, {
        token,
        body: { submissionId: randomUUID(), instrument: 'gad7', answers: [0, 0, 0, 0, 0, 0, 0], completedAt },
      });
      expectProblem(res, 400, { errors: [expect.objectContaining({ path: 'body.completedAt' })] });
    }
    const n = await withDb(
      databaseUrl,
      async (db) => (await db.query('SELECT count(*) AS n FROM questionnaire_responses')).rows[0].n,
    );
    expect(Number(n)).toBe(0);
  });
});

describe('roles, caching and limits', () => {
  it('checks the role before the body: an importer learns no schema, and the denial is audited', async () => {
    const res = await request(`${base}/api/v1/patients`, {
      token: await tokenFor('importer-1', ['importer']),
      body: { nonsense: true },
    });
    expectProblem(res, 403, { reason: 'forbidden' });
    expect(res.text).not.toContain('trialId');
    const denied = await withDb(databaseUrl, async (db) =>
      db.query("SELECT action FROM audit_log WHERE actor = 'importer-1' AND outcome = 'denied'"),
    );
    expect(denied.rows).toEqual([{ action: 'patient.create' }]);
  });

  it('marks every answer of the API no-store: data, errors, 401', async () => {
    const token = await tokenFor('cache');
    for (const res of [
      await request(`${base}/api/v1/patients/${patientId}`, { token }),
      await request(`${base}/api/v1/patients/${randomUUID()}`, { token }),
      await request(`${base}/api/v1/patients/${patientId}`),
    ])
      expect(res.headers.get('cache-control'), `${res.status}`).toBe('no-store');
  });

  it('rate-limits the import upload per subject, with RateLimit headers, before it is audited', async () => {
    const token = await tokenFor('importer-2', ['importer']);
    const upload = () =>
      request(`${base}/api/v1/epro/imports`, {
        method: 'POST',
        token,
        rawBody: '',
        headers: { 'content-type': 'application/x-ndjson' },
      });
    const answers: JsonResponse[] = [];
    for (let i = 0; i < 15; i++) answers.push(await upload());
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.headers.get('ratelimit-limit')).toBe('10');
    const audited = await withDb(databaseUrl, async (db) =>
      Number(
        (await db.query("SELECT count(*) AS n FROM audit_log WHERE actor = 'importer-2' AND action = 'import.create'"))
          .rows[0].n,
      ),
    );
    expect(audited).toBe(answers.length - limited.length);
  });

  it('counts every answer of a route under its template: handler, thrown error, 401 and 429 alike', async () => {
    const token = await tokenFor('labels');
    await request(`${base}/api/v1/patients/not-a-uuid`, { token }); // thrown in the handler
    await request(`${base}/api/v1/patients/${patientId}`); // 401 before routing
    await request(`${base}/api/v1/nothing/here`, { token });
    const metrics = await (await fetch(`http://127.0.0.1:${api.ports.admin}/metrics`)).text();
    const routes = new Set(
      [...metrics.matchAll(/^http_server_requests_total\{[^}]*route="([^"]+)"/gm)].map((m) => m[1]),
    );
    expect(routes).toContain('/api/v1/patients/:id');
    expect(routes).not.toContain('/patients/:id');
    expect(metrics).toMatch(
      /http_server_requests_total\{[^}]*route="\/api\/v1\/patients\/:id"[^}]*status_class="4xx"[^}]*\} [1-9]/,
    );
    expect(metrics).toMatch(/http_server_requests_total\{[^}]*route="unmatched"[^}]*status_class="4xx"[^}]*\} [1-9]/);
  });
});

describe('before express: the HTTP server', () => {
  it("answers Node's own parse errors as problem+json: a malformed request, headers too large", async () => {
    const malformed = await raw(api.ports.http!, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(malformed).toMatch(/^HTTP\/1\.1 400 /);
    expect(malformed).toMatch(/content-type: application\/problem\+json/i);
    expect(problemOf(malformed)).toMatchObject({ status: 400, reason: 'malformed_request' });
    const big = await raw(api.ports.http!, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    expect(problemOf(big)).toMatchObject({ status: 431, reason: 'headers_too_large' });
  });

  it('cuts a body that stops arriving with 408, and keeps a slow upload that keeps sending', async () => {
    const token = await tokenFor('slow');
    const head =
      `POST /api/v1/patients HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"trialId"';
    const stalled = await raw(api.ports.http!, head);
    expect(stalled).toMatch(/^HTTP\/1\.1 408 /);
    expect(problemOf(stalled)).toMatchObject({ status: 408, reason: 'body_timeout' });

    // Chunks at a steady pace, each within the idle time: the whole upload takes several
    // idle times and is accepted.
    const importer = await tokenFor('slow-importer', ['importer']);
    const lines = Array.from(
      { length: 8 },
      () =>
        `${JSON.stringify({ submissionId: randomUUID(), patientId, instrument: 'gad7', answers: [1, 1, 1, 1, 1, 1, 1] })}\n`,
    );
    const answer = await raw(
      api.ports.http!,
      `POST /api/v1/epro/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${importer}\r\n` +
        'Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      (socket) => {
        let i = 0;
        const timer = setInterval(() => {
          const line = lines[i++];
          if (line === undefined) {
            clearInterval(timer);
            socket.write('0\r\n\r\n');
            return;
          }
          socket.write(`${Buffer.byteLength(line).toString(16)}\r\n${line}\r\n`);
        }, BODY_IDLE_MS / 4);
        socket.once('close', () => clearInterval(timer));
      },
    );
    expect(answer).toMatch(/^HTTP\/1\.1 202 /);
  });

  it('closes connections beyond the per-process cap and counts them', async () => {
    const capped = await startService('patient-api', {
      env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, { PM_HTTP__MAX_CONNECTIONS: '3' }),
    });
    try {
      const held = await Promise.all(
        Array.from({ length: 3 }, async () => {
          const socket = connect(capped.ports.http!, '127.0.0.1');
          socket.on('error', () => {});
          await once(socket, 'connect');
          return socket;
        }),
      );
      // The fourth is accepted by the kernel and closed by the server at once, unanswered.
      const refused = await raw(capped.ports.http!, 'GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(refused).toBe('');
      for (const socket of held) socket.destroy();
      const metrics = await (await fetch(`http://127.0.0.1:${capped.ports.admin}/metrics`)).text();
      expect(metrics).toMatch(/http_server_rejected_total\{reason="connection_limit"[^}]*\} 1\b/);
    } finally {
      expect(await capped.stop()).toBe(0);
    }
  });
});
