// Every access is in the audit trail exactly once, whichever replica served it: a bounded
// read load through one patient-api, spread over two patient-rpc replicas appending to one
// audit_log on PostgreSQL 15, each request with its own X-Request-Id. In SQL, afterwards:
// each answered request has exactly the records its answer implies (one per patient it
// returned, or one not_found), no other record carries the load's ids, the seq values the
// two writers interleaved are contiguous, and the latest signed checkpoint covers them all.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { metricValue } from '../support/metrics.ts';
import { apiEnv, createDatabase, ROOT, rpcEnv, startService, testAuditKey } from '../support/services.ts';
import { withDb } from '../support/db.ts';
import { createTestKeys } from '../support/tokens.ts';

const run = promisify(execFile);
const PATIENTS = 40;
const REQUESTS = 400;
const CONCURRENCY = 8;
const LOAD_LIMIT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
const CLINICIAN = 'dr-completeness';

let dbUrl: string;
let dir: string;
let runId: string;
let observed: Observed[];
/** Records in the log once every replica has drained and stopped. */
let total: number;

/** One request of the load: what was asked, what came back, and the records it may leave. */
interface Observed {
  requestId: string;
  /** The HTTP status; 0 when no answer came (the client gave up). */
  status: number;
  echoedId: string | null;
  /** What it touches, as its records begin: "patient.read <id> ", or "patient.list " (any patient). */
  touches: string;
  /** Most records it may leave: one for a read, the page size for a list. */
  most: number;
  /**
   * When answered (2xx, or 404 for a patient that does not exist): exactly the records the
   * answer implies, as "action patientId outcome".
   */
  expected?: string[];
}

/**
 * Sends `send(0..total-1)` from `concurrency` workers, each request after the previous one
 * answered; stops early past `limitMs`. Returns what each request observed.
 */
async function boundedLoad(
  total: number,
  concurrency: number,
  limitMs: number,
  send: (i: number) => Promise<Observed>,
): Promise<Observed[]> {
  const deadline = Date.now() + limitMs;
  const observed: Observed[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total && Date.now() < deadline) observed.push(await send(next++));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return observed;
}

describe('audit completeness under a read load on two replicas', () => {
  beforeAll(async () => {
    const keys = await createTestKeys();
    const token = await keys.token({ sub: CLINICIAN, roles: ['clinician'] });
    dbUrl = await createDatabase(inject('postgresUrl'), `audit_completeness_${Date.now()}`);
    dir = mkdtempSync(join(tmpdir(), 'pm-audit-completeness-'));
    const replica = (name: string, seed: number) =>
      startService('patient-rpc', {
        env: rpcEnv(keys.jwksFile, {
          PM_DATABASE__URL: dbUrl,
          PM_SEED__PATIENTS: String(seed),
          PM_AUDIT__CHECKPOINTS__FILE: join(dir, `${name}.jsonl`),
          PM_AUDIT__CHECKPOINTS__INTERVAL_MS: '100',
        }),
      });
    const a = await replica('a', PATIENTS);
    const b = await replica('b', 0);
    // Rate limiting and load shedding off, and a longer budget per request: on a busy machine
    // they would answer 429/503/504, and this is about what is recorded, not how fast.
    const api = await startService('patient-api', {
      env: apiEnv(`static:///127.0.0.1:${a.ports.grpc},127.0.0.1:${b.ports.grpc}`, keys.jwksFile, {
        PM_RATE_LIMIT__ENABLED: 'false',
        PM_SHEDDING__ENABLED: 'false',
        PM_HTTP__REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS / 2),
        PM_RESILIENCE__ATTEMPT_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS / 2),
      }),
    });
    const base = `http://127.0.0.1:${api.ports.http}/api/v1/patients`;
    // The load's ids share a prefix no other request has: a valid X-Request-Id (letters, digits, . _ -).
    runId = `complete.${Date.now().toString(36)}`;
    try {
      const send = async (path: string, requestId: string) => {
        try {
          const res = await fetch(`${base}${path}`, {
            headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId },
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          const body = (await res.json()) as { id?: string; items?: Array<{ id: string }> };
          return { status: res.status, echoedId: res.headers.get('x-request-id'), body };
        } catch {
          return { status: 0, echoedId: null, body: {} };
        }
      };
      const all = await send(`?limit=100`, `${runId}-ids`);
      expect(all.status, JSON.stringify(all.body)).toBe(200);
      const ids = all.body.items!.map((p) => p.id);
      expect(ids).toHaveLength(PATIENTS);

      // Single reads of every patient in turn, a list page every fifth request (1 to 10
      // patients), and now and then a read of a patient that does not exist.
      observed = await boundedLoad(REQUESTS, CONCURRENCY, LOAD_LIMIT_MS, async (i) => {
        const requestId = `${runId}-${i}`;
        if (i % 5 === 0) {
          const limit = 1 + ((i / 5) % 10);
          const { status, echoedId, body } = await send(`?limit=${limit}`, requestId);
          const expected = status === 200 ? body.items!.map((p) => `patient.list ${p.id} ok`) : undefined;
          return { requestId, status, echoedId, touches: 'patient.list ', most: limit, expected };
        }
        const [id, found] = i % 50 === 13 ? [randomUUID(), false] : [ids[i % ids.length]!, true];
        const { status, echoedId, body } = await send(`/${id}`, requestId);
        if (status === 200) expect(body.id).toBe(id);
        const answered = status === (found ? 200 : 404);
        const expected = answered ? [`patient.read ${id} ${found ? 'ok' : 'not_found'}`] : undefined;
        return { requestId, status, echoedId, touches: `patient.read ${id} `, most: 1, expected };
      });

      // Both replicas served reads, so both appended to the one trail.
      for (const r of [a, b])
        expect(
          await metricValue(r.ports.admin, 'grpc_server_handled_total', { grpc_method: 'GetPatient' }),
        ).toBeGreaterThan(observed.length / 10);
      // The sequencer, on whichever replica holds its lock, signs a checkpoint covering the load.
      const appended = await countRecords(dbUrl);
      await Promise.any(
        [a, b].map((r) => r.waitForLog((l) => l.msg === 'audit checkpoint' && Number(l['treeSize']) >= appended)),
      );
      expect(await api.stop()).toBe(0);
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    } finally {
      await Promise.all([api.stop('SIGKILL'), a.stop('SIGKILL'), b.stop('SIGKILL')]);
    }
    // Counted once every call has drained: a call the gateway gave up on may have appended later.
    total = await countRecords(dbUrl);
  });

  it('every answered request has exactly the records its answer implies, and no other record its id', async () => {
    // The load is bounded in time too: on a very busy machine it may end before every request was sent.
    expect(observed.length).toBeGreaterThanOrEqual(REQUESTS / 4);
    // Answered as asked, but for a few a busy machine may time out.
    expect(observed.filter((o) => o.expected).length).toBeGreaterThanOrEqual(observed.length * 0.9);
    expect(observed.filter((o) => o.status !== 0 && o.echoedId !== o.requestId)).toEqual([]);

    const rows = await withDb(
      dbUrl,
      async (db) =>
        (
          await db.query<{ request_id: string; actor: string; role: string; record: string }>(
            `SELECT request_id, actor, role, action || ' ' || patient_id || ' ' || outcome AS record
             FROM audit_log WHERE starts_with(request_id, $1) AND request_id <> $2`,
            [`${runId}-`, `${runId}-ids`],
          )
        ).rows,
    );
    expect(rows.every((r) => r.actor === CLINICIAN && r.role === 'clinician')).toBe(true);
    const recorded = new Map<string, string[]>();
    for (const r of rows) recorded.set(r.request_id, [...(recorded.get(r.request_id) ?? []), r.record]);
    // One the gateway gave up on may have left the records it could have (its call may still
    // have run), never more.
    const wrong = observed.filter((o) => {
      const records = recorded.get(o.requestId) ?? [];
      if (o.expected) return JSON.stringify(records.sort()) !== JSON.stringify([...o.expected].sort());
      return records.length > o.most || !records.every((r) => r.startsWith(o.touches));
    });
    expect(wrong.map((o) => ({ ...o, recorded: recorded.get(o.requestId) }))).toEqual([]);
    const sent = new Set(observed.map((o) => o.requestId));
    expect([...recorded.keys()].filter((id) => !sent.has(id))).toEqual([]);
  });

  it('the two writers left contiguous seq values, all covered by the latest checkpoint', async () => {
    await withDb(dbUrl, async (db) => {
      // seq as the two writers took it from the one sequence: 1..total, any hole sealed as audit.gap.
      const seqs = await db.query<{ n: string; first: string; last: string }>(
        'SELECT count(*) AS n, min(seq) AS first, max(seq) AS last FROM audit_log',
      );
      expect(seqs.rows[0]).toMatchObject({ n: String(total), first: '1', last: String(total) });
      const latest = await db.query<{ size: string }>('SELECT max(tree_size) AS size FROM audit_checkpoints');
      expect(latest.rows[0]!.size).toBe(String(total));
    });

    // The checkpoints the replicas published (each that held the sequencer's lock at least
    // once) verify against the log: its first `total` records are what was signed.
    const published = ['a', 'b'].map((name) => join(dir, `${name}.jsonl`)).filter((file) => existsSync(file));
    expect(published.length).toBeGreaterThan(0);
    const { stdout } = await run(
      process.execPath,
      [
        'scripts/audit-verify.ts',
        '--database-url',
        dbUrl,
        '--verifier-key',
        testAuditKey.verifierKey,
        ...published.flatMap((file) => ['--checkpoints', file]),
      ],
      { cwd: ROOT },
    );
    expect(stdout).toMatch(new RegExp(`audit log matches \\d+ signed checkpoints \\(${total} records\\)`));
  });
});

async function countRecords(url: string): Promise<number> {
  return withDb(url, async (db) => Number((await db.query('SELECT count(*) AS n FROM audit_log')).rows[0].n));
}
