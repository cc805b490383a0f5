// A bounded load of reads and writes through patient-api: at most `maxRequests` requests,
// none started after `deadlineMs`, `concurrency` in flight, paced to `ratePerSecond`.
// Every write carries a value of its own (a subject code, a submission id) and every request
// its own X-Request-Id, so that each answer can be looked up in SQL afterwards.
import { randomUUID } from 'node:crypto';
import { waitFor } from './waitFor.ts';

export type Op = 'create' | 'read' | 'submit';

export interface Outcome {
  op: Op;
  /** HTTP status; 0 when no answer came (connection refused or reset, client timeout). */
  status: number;
  reason?: string;
  title?: string;
  detail?: string;
  retryAfter?: string | null;
  requestId: string;
  /** The patient read, created or submitted for. */
  patientId?: string;
  /** The create's subject code, or the submission id. */
  key?: string;
  /** Milliseconds since the epoch. */
  start: number;
  end: number;
}

export interface LoadOptions {
  /** patient-api's base URL; read at each request, so a test may move it. */
  base: () => string;
  token: string;
  concurrency: number;
  ratePerSecond: number;
  maxRequests: number;
  deadlineMs: number;
  /** Patients known to exist, for reads and submissions; 2xx creates join them. */
  patients: string[];
  /** Which operations, in turn; all three by default. */
  ops?: Op[];
  /** Client-side limit of one request (an answer not there by then counts as status 0). */
  requestTimeoutMs?: number;
}

export interface Load {
  readonly outcomes: Outcome[];
  readonly sent: number;
  /** Resolves once the loop has ended (count or deadline reached, or stop()). */
  done: Promise<void>;
  stop(): Promise<void>;
  /** Resolves with the first outcome (past or future) matching `match`, ended after `since`. */
  waitForOutcome(what: string, match: (o: Outcome) => boolean, since: number, timeoutMs?: number): Promise<Outcome>;
}

export const TRIAL = 'TRIAL-FAULTS';

export function startLoad(options: LoadOptions): Load {
  const runId = randomUUID().slice(0, 8);
  const ops = options.ops ?? ['create', 'read', 'submit'];
  const outcomes: Outcome[] = [];
  const patients = [...options.patients];
  const deadline = Date.now() + options.deadlineMs;
  const interval = 1000 / options.ratePerSecond;
  let nextSlot = Date.now() - interval;
  let sent = 0;
  let stopped = false;

  const one = async (n: number): Promise<void> => {
    const op = ops[n % ops.length]!;
    const requestId = `fault-${runId}-${n}`;
    const patientId = patients[Math.floor(Math.random() * patients.length)];
    let path: string;
    let body: unknown;
    let key: string | undefined;
    if (op === 'create') {
      key = `F-${runId}-${n}`;
      path = '/api/v1/patients';
      body = {
        trialId: TRIAL,
        siteId: 'SITE-F',
        subjectCode: key,
        givenName: 'Fault',
        familyName: `Row ${n}`,
        birthDate: '1970-01-01',
        sex: 'female',
      };
    } else if (op === 'submit') {
      key = randomUUID();
      path = `/api/v1/patients/${patientId}/questionnaires`;
      body = { submissionId: key, instrument: 'gad7', answers: [1, 2, 3, 0, 1, 2, 3] };
    } else path = `/api/v1/patients/${patientId}`;
    const start = Date.now();
    const outcome: Outcome = { op, status: 0, requestId, start, end: start, ...(key && { key }) };
    if (op !== 'create') outcome.patientId = patientId!;
    try {
      const res = await fetch(`${options.base()}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: {
          authorization: `Bearer ${options.token}`,
          'x-request-id': requestId,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.requestTimeoutMs ?? 15_000),
      });
      outcome.status = res.status;
      outcome.retryAfter = res.headers.get('retry-after');
      const text = await res.text();
      const parsed = (() => {
        try {
          return JSON.parse(text) as Record<string, unknown>;
        } catch {
          return {};
        }
      })();
      if (res.status >= 400) {
        outcome.reason = parsed['reason'] as string;
        outcome.title = parsed['title'] as string;
        outcome.detail = parsed['detail'] as string;
      } else if (op === 'create') {
        outcome.patientId = parsed['id'] as string;
        patients.push(outcome.patientId);
      }
    } catch (error) {
      outcome.reason = error instanceof Error ? `client: ${error.name}` : 'client';
    }
    outcome.end = Date.now();
    outcomes.push(outcome);
    for (const w of waiters)
      if (outcome.end >= w.since && w.match(outcome)) {
        waiters.delete(w);
        w.resolve(outcome);
      }
  };

  const waiters = new Set<{ match: (o: Outcome) => boolean; since: number; resolve: (o: Outcome) => void }>();
  const worker = async (): Promise<void> => {
    for (;;) {
      if (stopped || sent >= options.maxRequests || Date.now() >= deadline) return;
      const n = sent++;
      // Pacing: one request per slot, at most `ratePerSecond`; slots missed while requests
      // were slow are not made up for (a burst after a fault would be a load of its own).
      nextSlot = Math.max(nextSlot + interval, Date.now());
      const wait = nextSlot - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (stopped) {
        sent--;
        return;
      }
      await one(n);
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, worker)).then(() => {});

  return {
    outcomes,
    get sent() {
      return sent;
    },
    done,
    async stop() {
      stopped = true;
      await done;
    },
    waitForOutcome(what, match, since, timeoutMs = 60_000) {
      const seen = outcomes.find((o) => o.end >= since && match(o));
      if (seen) return Promise.resolve(seen);
      return new Promise<Outcome>((resolve, reject) => {
        const waiter = { match, since, resolve: (o: Outcome) => (clearTimeout(timer), resolve(o)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const tail = outcomes
            .slice(-5)
            .map((o) => `${o.op} ${o.status} ${o.reason ?? ''}`)
            .join('; ');
          reject(new Error(`no ${what} within ${timeoutMs} ms (${outcomes.length} answers; last: ${tail})`));
        }, timeoutMs);
        waiters.add(waiter);
        void done.then(() => {
          if (waiters.delete(waiter)) {
            clearTimeout(timer);
            reject(new Error(`the load ended (${sent} sent) before ${what}`));
          }
        });
      });
    },
  };
}

/** Waits until patient-api answers a read 200: the mesh is up before a fault is injected. */
export async function waitForHealthy(
  base: string,
  token: string,
  patientId: string,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    'patient-api to answer a read 200',
    async () =>
      (await fetch(`${base}/api/v1/patients/${patientId}`, { headers: { authorization: `Bearer ${token}` } }))
        .status === 200,
    timeoutMs,
    100,
  );
}
