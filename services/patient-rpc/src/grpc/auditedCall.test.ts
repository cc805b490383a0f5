import { EventEmitter, once } from 'node:events';
import { Readable } from 'node:stream';
import { Metadata, status, type Deadline, type StatusObject } from '@grpc/grpc-js';
import type { Principal } from '@patient-mesh/contract';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../domain/auditChain.js';
import { Conflict } from '../domain/errors/Conflict.js';
import { InvalidInput } from '../domain/errors/InvalidInput.js';
import { NotFound } from '../domain/errors/NotFound.js';
import { StoreFailure } from '../store/StoreFailure.js';
import { recordingLogger } from '@patient-mesh/runtime/testing';
import { auditedClientStream, auditedUnary, type AuditedMethod, type CallContext } from './auditedCall.js';
import { CallRejected } from './CallRejected.js';
import type { Verdict } from './interceptors/authenticationGate.js';

const API = 'spiffe://td/ns/pm/sa/patient-api';
const clinician: Principal = { sub: 'dr-who', roles: ['clinician'] };
const importer: Principal = { sub: 'uploader', roles: ['importer'] };
const accepted = (principal: Principal): Verdict => ({ caller: { principal, requestId: 'req-1' } });
const diskFull = () =>
  new StoreFailure('storage_full', 'the store is out of disk space', { cause: new Error('53100') });

type Answer = { error: (Partial<StatusObject> & { metadata?: Metadata }) | null; value: unknown };

interface FakeCall extends EventEmitter {
  metadata: Metadata;
  cancelled: boolean;
  getDeadline(): Deadline;
}

/** The parts of a grpc-js call the wrapper uses; `cancel()` does what grpc-js does when the client gives up. */
function fakeCall<T extends object>(base: T, deadline: Deadline = Infinity): T & FakeCall & { cancel(): void } {
  const call = Object.assign(base, { metadata: new Metadata(), cancelled: false, getDeadline: () => deadline });
  return Object.assign(call as T & FakeCall, {
    cancel() {
      call.cancelled = true;
      (call as unknown as EventEmitter).emit('cancelled', 'cancelled');
    },
  });
}

/** One wrapped method, an in-process audit sink and a logger to read. */
function setup(verdict: Verdict | undefined, opts: { auditFails?: unknown } = {}) {
  const records: AuditEntry[] = [];
  const log = recordingLogger();
  const audit = {
    append: async (entry: AuditEntry) => {
      if (opts.auditFails) throw opts.auditFails;
      records.push(entry);
    },
  };
  return { records, log, deps: { audit, logger: log.logger, verdictOf: () => verdict } };
}

describe('the audited path, unary', () => {
  const getPatient = (handle: AuditedMethod<{ id: string }, { id: string }>['handle']) => ({
    action: 'patient.read' as const,
    patientIds: (req: { id: string }) => [req.id],
    handle,
  });
  /** Calls the wrapped GetPatient; resolves with its answer, or with 'unanswered' once it handled the call without one. */
  async function call(
    s: ReturnType<typeof setup>,
    handle: AuditedMethod<{ id: string }, { id: string }>['handle'],
    fake = fakeCall(new EventEmitter()),
  ): Promise<Answer | 'unanswered'> {
    const handler = auditedUnary('GetPatient', getPatient(handle) as never, s.deps);
    const answered = new Promise<Answer>((resolve) =>
      handler(Object.assign(fake, { request: { id: 'p-1' } }) as never, (error, value) =>
        resolve({ error: error as Answer['error'], value }),
      ),
    );
    // 'call handled' is logged on every path, just before the answer (or its absence).
    return Promise.race([answered, s.log.find('call handled').then(() => 'unanswered' as const)]).then(async (first) =>
      first === 'unanswered' ? Promise.race([answered, Promise.resolve(first)]) : first,
    );
  }
  const trailers = (a: Answer | 'unanswered') => (a === 'unanswered' ? {} : (a.error?.metadata?.getMap() ?? {}));

  it('ok: answers after one ok record naming the verified user, the role and the request id', async () => {
    const s = setup(accepted(clinician));
    const answer = await call(s, async () => ({ id: 'p-1' }));
    expect(answer).toEqual({ error: null, value: { id: 'p-1' } });
    expect(s.records).toEqual([
      {
        actor: 'dr-who',
        role: 'clinician',
        action: 'patient.read',
        patientId: 'p-1',
        outcome: 'ok',
        requestId: 'req-1',
        traceId: '',
      },
    ]);
  });

  it('a refusal of an authenticated peer is recorded denied against the patient asked for; the handler never runs', async () => {
    const refused = new CallRejected(status.UNAUTHENTICATED, 'a bearer token is required', 'token_missing', API, true);
    const s = setup({ refused });
    let ran = false;
    const answer = await call(s, async () => {
      ran = true;
      return { id: 'p-1' };
    });
    expect(answer).toMatchObject({ error: { code: status.UNAUTHENTICATED, details: 'a bearer token is required' } });
    expect(ran).toBe(false);
    expect(s.records).toEqual([
      {
        actor: API,
        role: 'none',
        action: 'patient.read',
        patientId: 'p-1',
        outcome: 'denied',
        requestId: '',
        traceId: '',
      },
    ]);
  });

  it('a role the action needs and the user lacks: PERMISSION_DENIED, recorded denied with the roles held', async () => {
    const s = setup(accepted({ sub: 'aud', roles: ['auditor'] }));
    const answer = await call(s, async () => ({ id: 'p-1' }));
    expect(answer).toMatchObject({
      error: { code: status.PERMISSION_DENIED, details: 'role clinician required for patient.read' },
    });
    expect(s.records).toMatchObject([{ actor: 'aud', role: 'auditor', outcome: 'denied', patientId: 'p-1' }]);
  });

  // What a handler's failure becomes: the status and trailers, and the outcome its record says.
  const FAILURES: Array<[string, () => unknown, number, string, Record<string, string>, AuditEntry['outcome']]> = [
    [
      'invalid input',
      () => new InvalidInput('id', 'must be a UUID'),
      status.INVALID_ARGUMENT,
      'id: must be a UUID',
      { 'x-field-path': 'id' },
      'invalid',
    ],
    ['not found', () => new NotFound('patient not found'), status.NOT_FOUND, 'patient not found', {}, 'not_found'],
    [
      'conflict',
      () => new Conflict('subjectCode', 'a patient with this subject code exists in this trial'),
      status.ALREADY_EXISTS,
      'a patient with this subject code exists in this trial',
      { 'x-field-path': 'subjectCode' },
      'conflict',
    ],
    [
      'store out of space',
      diskFull,
      status.UNAVAILABLE,
      'the store is out of disk space',
      { 'x-reason': 'storage_full' },
      'error',
    ],
    [
      'a cancelled statement',
      () => new StoreFailure('statement_cancelled', 'database statement cancelled', { cause: new Error('57014') }),
      status.DEADLINE_EXCEEDED,
      'database statement cancelled: deadline exceeded',
      {},
      'error',
    ],
    ['an error of no known kind', () => new Error('secret detail'), status.INTERNAL, 'internal error', {}, 'error'],
  ];
  it.each(FAILURES)('handler failure, %s', async (_name, failure, code, details, expectedTrailers, outcome) => {
    const s = setup(accepted(clinician));
    const answer = await call(s, async () => {
      throw failure();
    });
    expect(answer).toMatchObject({ error: { code, details } });
    expect(trailers(answer)).toEqual(expectedTrailers);
    expect(s.records).toMatchObject([{ outcome, patientId: 'p-1' }]);
  });

  it('logs an error of no known kind, and a store failure as a warning with the driver error', async () => {
    const s = setup(accepted(clinician));
    await call(s, async () => {
      throw new Error('secret detail');
    });
    expect(await s.log.find('unexpected error in handler')).toMatchObject({ level: 'error', method: 'GetPatient' });
    const t = setup(accepted(clinician));
    await call(t, async () => {
      throw diskFull();
    });
    expect(await t.log.find('store failure in handler')).toMatchObject({
      level: 'warn',
      reason: 'storage_full',
      err: { message: '53100' },
    });
  });

  it('an audit record that cannot be stored fails the call, whatever the handler had', async () => {
    const full = setup(accepted(clinician), { auditFails: diskFull() });
    expect(await call(full, async () => ({ id: 'p-1' }))).toMatchObject({
      error: {
        code: status.UNAVAILABLE,
        details: 'audit trail unavailable (the store is out of disk space); request not served',
      },
    });
    const broken = setup(accepted(clinician), { auditFails: new Error('pool closed') });
    const answer = await call(broken, async () => ({ id: 'p-1' }));
    expect(answer).toMatchObject({
      error: { code: status.UNAVAILABLE, details: 'audit trail unavailable; request not served' },
    });
    expect(trailers(answer)).toEqual({ 'x-reason': 'audit_unavailable' });
    expect(await broken.log.find('audit append failed')).toMatchObject({ level: 'error' });
  });

  it('cancelled by the client while handled: the handler is told, the record says error, and no answer is sent', async () => {
    const s = setup(accepted(clinician));
    const fake = fakeCall(new EventEmitter());
    const answer = await call(
      s,
      async (_req, ctx: CallContext) => {
        fake.cancel();
        expect(ctx.signal.aborted).toBe(true);
        return { id: 'p-1' }; // the work finished anyway
      },
      fake,
    );
    expect(answer).toBe('unanswered');
    expect(s.records).toMatchObject([{ outcome: 'error', patientId: 'p-1' }]);
  });

  it('a call already cancelled when it reaches the handler is aborted from the start', async () => {
    const s = setup(accepted(clinician));
    const fake = fakeCall(new EventEmitter());
    fake.cancel();
    let aborted: boolean | undefined;
    const answer = await call(
      s,
      async (_req, ctx) => {
        aborted = ctx.signal.aborted;
        return { id: 'p-1' };
      },
      fake,
    );
    expect([answer, aborted]).toEqual(['unanswered', true]);
    expect(s.records).toMatchObject([{ outcome: 'error' }]);
  });

  it('past its deadline while handled: the signal aborts the work, recorded error, no answer', async () => {
    const s = setup(accepted(clinician));
    const answer = await call(
      s,
      async (_req, ctx) => {
        await once(ctx.signal, 'abort');
        throw ctx.signal.reason;
      },
      fakeCall(new EventEmitter(), Date.now() + 20),
    );
    expect(answer).toBe('unanswered');
    expect(s.records).toMatchObject([{ outcome: 'error' }]);
  });

  it('fails closed when no authentication verdict reached it: INTERNAL, nothing recorded', async () => {
    const s = setup(undefined);
    const answer = await call(s, async () => ({ id: 'p-1' }));
    expect(answer).toMatchObject({ error: { code: status.INTERNAL, details: 'internal error' } });
    expect(s.records).toEqual([]);
  });
});

describe('the audited path, client streaming', () => {
  type Chunk = { data: Buffer };
  const upload = (handle: AuditedMethod<AsyncIterable<Chunk>, { lines: number }>['handle']) => ({
    action: 'import.create' as const,
    patientIds: () => [''],
    handle,
  });
  const countLines = async (stream: AsyncIterable<Chunk>) => {
    let lines = 0;
    for await (const chunk of stream) lines += chunk.data.toString().split('\n').filter(Boolean).length;
    return { lines };
  };
  function call(
    s: ReturnType<typeof setup>,
    handle: AuditedMethod<AsyncIterable<Chunk>, { lines: number }>['handle'],
    stream = fakeCall(Readable.from([{ data: Buffer.from('a\nb\n') }, { data: Buffer.from('c\n') }])),
  ): Promise<Answer | 'unanswered'> {
    const handler = auditedClientStream('ImportResponses', upload(handle) as never, s.deps);
    const answered = new Promise<Answer>((resolve) =>
      handler(stream as never, (error: unknown, value?: unknown) =>
        resolve({ error: error as Answer['error'], value }),
      ),
    );
    return Promise.race([answered, s.log.find('call handled').then(() => 'unanswered' as const)]).then((first) =>
      first === 'unanswered' ? Promise.race([answered, Promise.resolve(first)]) : first,
    );
  }

  it('ok: the handler reads the stream; one ok record, then the answer', async () => {
    const s = setup(accepted(importer));
    expect(await call(s, countLines)).toEqual({ error: null, value: { lines: 3 } });
    expect(s.records).toEqual([
      {
        actor: 'uploader',
        role: 'importer',
        action: 'import.create',
        patientId: '',
        outcome: 'ok',
        requestId: 'req-1',
        traceId: '',
      },
    ]);
  });

  it('denied like a unary call: a refused peer and a missing role each leave one denied record', async () => {
    const refused = new CallRejected(
      status.PERMISSION_DENIED,
      'peer may not call',
      'peer_not_allowed',
      'spiffe://x',
      true,
    );
    const s = setup({ refused });
    expect(await call(s, countLines)).toMatchObject({ error: { code: status.PERMISSION_DENIED } });
    const t = setup(accepted(clinician));
    expect(await call(t, countLines)).toMatchObject({
      error: { code: status.PERMISSION_DENIED, details: 'role importer required for import.create' },
    });
    expect([...s.records, ...t.records]).toMatchObject([
      { actor: 'spiffe://x', outcome: 'denied', patientId: '' },
      { actor: 'dr-who', role: 'clinician', outcome: 'denied', patientId: '' },
    ]);
  });

  it('maps a failure like a unary call: a cancelled statement is DEADLINE_EXCEEDED, a field is a trailer', async () => {
    const s = setup(accepted(importer));
    const cancelled = await call(s, async () => {
      throw new StoreFailure('statement_cancelled', 'database statement cancelled', { cause: new Error('57014') });
    });
    expect(cancelled).toMatchObject({
      error: { code: status.DEADLINE_EXCEEDED, details: 'database statement cancelled: deadline exceeded' },
    });
    const t = setup(accepted(importer));
    const invalid = await call(t, async () => {
      throw new InvalidInput('data', 'not NDJSON');
    });
    expect(invalid !== 'unanswered' && invalid.error?.metadata?.get('x-field-path')).toEqual(['data']);
    expect([...s.records, ...t.records].map((r) => r.outcome)).toEqual(['error', 'invalid']);
  });

  it('cancelled mid-upload: the handler is told, recorded error, no answer', async () => {
    const s = setup(accepted(importer));
    const chunks = new Readable({ objectMode: true, read() {} });
    const stream = fakeCall(chunks);
    chunks.push({ data: Buffer.from('a\n') });
    const answer = await call(
      s,
      async (input, ctx) => {
        for await (const _chunk of input) {
          // What grpc-js does when the client cancels: 'cancelled', then the stream destroyed.
          stream.cancel();
          chunks.destroy();
        }
        ctx.signal.throwIfAborted();
        return { lines: 1 };
      },
      stream,
    );
    expect(answer).toBe('unanswered');
    expect(s.records).toMatchObject([{ outcome: 'error', action: 'import.create' }]);
  });
});
