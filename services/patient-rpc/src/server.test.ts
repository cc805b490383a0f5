// The call path as createRpcServer builds it: a real grpc-js server on 127.0.0.1 (port 0,
// plaintext), the real interceptors and audited wrapper, fake handlers and an in-memory
// audit sink. Every wait is on an event (an answer, a handler reaching a point, a record).
import { once } from 'node:events';
import {
  credentials,
  Metadata,
  ServerInterceptingCall,
  status,
  type ServerErrorResponse,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import {
  loadPatientProto,
  patientServiceMethods,
  type PatientServiceClient,
  type Principal,
} from '@patient-mesh/contract';
import { createGrpcMetrics } from '@patient-mesh/runtime';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from './domain/auditChain.js';
import { NotFound } from './domain/errors/NotFound.js';
import { auditedClientStream, auditedUnary, type CallContext } from './grpc/auditedCall.js';
import type { AuthenticateCall } from './grpc/authenticateCall.js';
import { CallRejected } from './grpc/CallRejected.js';
import { FaultInjector, faultSettingsSchema, type FaultSettings } from './grpc/FaultInjector.js';
import { authenticationGate } from './grpc/interceptors/authenticationGate.js';
import { countArrivals } from './grpc/interceptors/countArrivals.js';
import { recordRpcMetrics } from './grpc/interceptors/recordRpcMetrics.js';
import { createRpcServer, type CallPath, type RpcServer } from './server.js';
import { recordingLogger } from '@patient-mesh/runtime/testing';

const PATIENT = '01938c2e-7b1a-7c3d-8e4f-5a6b7c8d9e0f';
const proto = loadPatientProto();
const METHODS = patientServiceMethods(proto).map((m) => m.name);
const user: Principal = { sub: 'dr-who', roles: ['clinician', 'importer'] };

/** Tokens the fake authenticator knows: the user, an anonymous peer, an intruder (audited). */
const authenticate: AuthenticateCall = async (call) => {
  const [authorization] = call.metadata.get('authorization');
  if (authorization === 'Bearer user') return { principal: user, requestId: 'req-1' };
  const audited = authorization === 'Bearer intruder';
  throw new CallRejected(status.UNAUTHENTICATED, 'no', 'token_invalid', audited ? 'intruder' : 'anonymous', audited);
};

/** Hooks a test sets for what the GetPatient and ImportResponses handlers do. */
interface Behaviour {
  getPatient: (ctx: CallContext) => Promise<void>;
}

const servers: RpcServer[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.server.forceShutdown();
});

async function start(opts: { callPath?: Partial<CallPath>; faults?: Partial<FaultSettings>; enabled?: boolean } = {}) {
  const registry = new Registry();
  const log = recordingLogger();
  const records: AuditEntry[] = [];
  const appended: Array<() => void> = [];
  const audit = {
    append: async (entry: AuditEntry) => {
      records.push(entry);
      appended.splice(0).forEach((resolve) => resolve());
    },
  };
  const nextRecord = () => new Promise<void>((resolve) => appended.push(resolve));
  const behaviour: Behaviour = { getPatient: async () => {} };
  const ran: string[] = [];
  const deps = { audit, logger: log.logger };
  const handlers = {
    GetPatient: auditedUnary(
      'GetPatient',
      {
        action: 'patient.read',
        patientIds: (req) => [req.id],
        async handle(req, ctx) {
          ran.push('GetPatient');
          await behaviour.getPatient(ctx);
          return { id: req.id, givenName: ctx.principal.sub };
        },
      },
      deps,
    ),
    ImportResponses: auditedClientStream(
      'ImportResponses',
      {
        action: 'import.create',
        patientIds: () => [''],
        async handle(upload) {
          ran.push('ImportResponses');
          let bytes = 0;
          for await (const chunk of upload) bytes += chunk.data.length;
          return { id: 'job', linesTotal: bytes };
        },
      },
      deps,
    ),
  };
  const faults = new FaultInjector(
    opts.enabled ?? true,
    faultSettingsSchema.parse(opts.faults ?? {}),
    registry,
    log.logger,
    () => 0,
  );
  const metrics = createGrpcMetrics(registry, 'server', METHODS);
  const rpc = createRpcServer(handlers as never, {
    callPath: {
      arrivals: countArrivals(registry),
      faults: faults.interceptor,
      metrics: recordRpcMetrics(metrics),
      authentication: authenticationGate(authenticate),
      ...opts.callPath,
    },
    reflection: false,
    maxConnectionAgeMs: 0,
  });
  servers.push(rpc);
  const port = await rpc.listen('127.0.0.1', 0);
  const client = new proto.patient.v1.PatientService(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
  ) as unknown as PatientServiceClient;
  const sample = async (name: string, labels: Record<string, string>) =>
    (await registry.getSingleMetric(name)!.get()).values
      .filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
      .reduce((sum, v) => sum + v.value, 0);
  return { port, client, records, nextRecord, behaviour, ran, registry, sample, faults, log };
}

const withToken = (token: string) => {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
};

type Reply = { error: ServerErrorResponse | null; value: unknown };
const getPatient = (client: PatientServiceClient, token = 'user', deadline?: number) =>
  new Promise<Reply>((resolve) =>
    client.GetPatient(
      { id: PATIENT },
      withToken(token),
      deadline === undefined ? {} : { deadline: Date.now() + deadline },
      (error, value) => resolve({ error: error as ServerErrorResponse | null, value }),
    ),
  );
const importUpload = (client: PatientServiceClient) =>
  new Promise<Reply>((resolve) => {
    const call = client.ImportResponses(withToken('user'), (error, value) =>
      resolve({ error: error as ServerErrorResponse | null, value }),
    );
    call.write({ data: Buffer.from('{}\n') });
    call.end();
  });
/** grpc.health.v1.Health/Check with an empty request, bytes in and out. */
const healthCheck = (client: PatientServiceClient) =>
  new Promise<Error | null>((resolve) =>
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      (error) => resolve(error),
    ),
  );

describe('the call path: interceptor order', () => {
  it('arrivals → faults → metrics → authentication → handler, and answers back out in reverse; health passes none', async () => {
    const events: string[] = [];
    const recorder =
      (name: string): ServerInterceptor =>
      (_descriptor, call) =>
        new ServerInterceptingCall(call, {
          start: (next) =>
            next({
              onReceiveMetadata: (metadata, pass) => {
                events.push(`in:${name}`);
                pass(metadata);
              },
            }),
          sendStatus: (sent, pass) => {
            events.push(`out:${name}`);
            pass(sent);
          },
        });
    const gate = authenticationGate(authenticate);
    const { client, behaviour } = await start({
      callPath: {
        arrivals: recorder('arrivals'),
        faults: recorder('faults'),
        metrics: recorder('metrics'),
        // The real gate behind the recorder: the handler needs its verdict.
        authentication: (descriptor, call) => gate(descriptor, recorder('authentication')(descriptor, call)),
      },
    });
    behaviour.getPatient = async () => void events.push('handler');
    expect((await getPatient(client)).error).toBeNull();
    expect(events).toEqual([
      'in:arrivals',
      'in:faults',
      'in:metrics',
      'in:authentication',
      'handler',
      'out:authentication',
      'out:metrics',
      'out:faults',
      'out:arrivals',
    ]);
    events.length = 0;
    expect(await healthCheck(client)).toBeNull();
    expect(events).toEqual([]);
  });
});

describe('the call path: authentication gate', () => {
  it("hands the verdict to the handler: the user it names is the handler's principal and the record's actor", async () => {
    const { client, records } = await start();
    expect(await getPatient(client)).toMatchObject({ error: null, value: { id: PATIENT, givenName: 'dr-who' } });
    expect(records).toMatchObject([{ actor: 'dr-who', patientId: PATIENT, outcome: 'ok', requestId: 'req-1' }]);
  });

  it('answers a refusal with nothing to record itself: no handler runs, nothing is recorded, the metrics count it', async () => {
    const { client, records, ran, sample, log } = await start();
    expect((await getPatient(client, 'anonymous')).error).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: 'no',
    });
    expect([ran, records]).toEqual([[], []]);
    // Not even the audited wrapper saw it (it logs every call it handles).
    expect(log.records.filter((r) => r.msg === 'call handled')).toEqual([]);
    expect(await sample('grpc_server_handled_total', { grpc_method: 'GetPatient', grpc_code: 'UNAUTHENTICATED' })).toBe(
      1,
    );
  });

  it("sends a refusal of an authenticated peer on to the wrapper, which records it against the request's patient", async () => {
    const { client, records, ran } = await start();
    expect((await getPatient(client, 'intruder')).error).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(ran).toEqual([]);
    expect(records).toMatchObject([{ actor: 'intruder', outcome: 'denied', patientId: PATIENT }]);
  });
});

describe('the call path: fault injection', () => {
  it('answers an injected error instead of the call, before the RED metrics and the handler; arrivals count it', async () => {
    const { client, ran, records, sample } = await start({ faults: { errorRate: 1, methods: ['GetPatient'] } });
    expect((await getPatient(client)).error).toMatchObject({
      code: status.UNAVAILABLE,
      details: 'injected fault: UNAVAILABLE',
    });
    expect([ran, records]).toEqual([[], []]);
    expect(await sample('fault_injected_total', { grpc_method: 'GetPatient', kind: 'error' })).toBe(1);
    expect(await sample('grpc_server_started_total', { grpc_method: 'GetPatient' })).toBe(1);
    expect(await sample('grpc_server_cancelled_total', { grpc_method: 'GetPatient' })).toBe(0);
    expect(await sample('grpc_server_handled_total', { grpc_method: 'GetPatient' })).toBe(0);
    // Another method is not affected.
    expect((await importUpload(client)).error).toBeNull();
  });

  it('applies to the client-streaming import like any method', async () => {
    const { client, ran, sample } = await start({ faults: { errorRate: 1, errorCode: 'RESOURCE_EXHAUSTED' } });
    expect((await importUpload(client)).error).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect(ran).toEqual([]);
    expect(await sample('fault_injected_total', { grpc_method: 'ImportResponses', kind: 'error' })).toBe(1);
  });

  it('holds a call for the latency, then lets it through', async () => {
    const { client, sample } = await start({ faults: { latencyMs: 30 } });
    const started = Date.now();
    expect((await getPatient(client)).error).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(await sample('fault_injected_total', { grpc_method: 'GetPatient', kind: 'latency' })).toBe(1);
  });

  it('never answers a hung call: it ends at its deadline, counted as cancelled, never handled', async () => {
    const { client, ran, sample } = await start({ faults: { hang: true } });
    expect((await getPatient(client, 'user', 100)).error).toMatchObject({ code: status.DEADLINE_EXCEEDED });
    expect(ran).toEqual([]);
    await expect
      .poll(() => sample('grpc_server_cancelled_total', { grpc_method: 'GetPatient' }), { interval: 5 })
      .toBe(1);
    expect(await sample('fault_injected_total', { grpc_method: 'GetPatient', kind: 'hang' })).toBe(1);
    expect(await sample('grpc_server_handled_total', { grpc_method: 'GetPatient' })).toBe(0);
  });

  it('injects nothing when disabled, and refuses new settings', async () => {
    const { client, faults } = await start({ enabled: false, faults: { errorRate: 1 } });
    expect((await getPatient(client)).error).toBeNull();
    expect(() => (faults.settings = faultSettingsSchema.parse({ hang: true }))).toThrow(/disabled/);
  });
});

describe('the call path: RPC metrics', () => {
  it('labels calls by method and code: OK and a handler error; nothing left in flight; health not counted', async () => {
    const { client, behaviour, sample, registry } = await start();
    expect((await getPatient(client)).error).toBeNull();
    behaviour.getPatient = async () => {
      throw new NotFound('patient not found');
    };
    expect((await getPatient(client)).error).toMatchObject({ code: status.NOT_FOUND });
    expect(await healthCheck(client)).toBeNull();
    expect(await sample('grpc_server_handled_total', { grpc_method: 'GetPatient', grpc_code: 'OK' })).toBe(1);
    expect(await sample('grpc_server_handled_total', { grpc_method: 'GetPatient', grpc_code: 'NOT_FOUND' })).toBe(1);
    const histogram = (await registry.getSingleMetric('grpc_server_handling_seconds')!.get()).values;
    expect(
      histogram.filter(
        (v) =>
          (v as { metricName?: string }).metricName === 'grpc_server_handling_seconds_count' &&
          v.labels.grpc_method === 'GetPatient',
      ),
    ).toEqual([
      expect.objectContaining({ labels: { grpc_method: 'GetPatient', grpc_code: 'OK' }, value: 1 }),
      expect.objectContaining({ labels: { grpc_method: 'GetPatient', grpc_code: 'NOT_FOUND' }, value: 1 }),
    ]);
    expect(await sample('grpc_server_in_flight', { grpc_method: 'GetPatient' })).toBe(0);
    expect(await sample('grpc_server_started_total', { grpc_method: 'GetPatient' })).toBe(2);
    expect(await sample('grpc_server_cancelled_total', {})).toBe(0);
    const methods = (await registry.getSingleMetric('grpc_server_handled_total')!.get()).values.map(
      (v) => v.labels.grpc_method,
    );
    expect(new Set(methods)).toEqual(new Set(METHODS));
  });

  it('a call the client cancels while handled is CANCELLED, counted once, in flight until then, recorded error', async () => {
    const { client, behaviour, sample, records, nextRecord } = await start();
    let reached!: () => void;
    const inHandler = new Promise<void>((resolve) => (reached = resolve));
    behaviour.getPatient = async (ctx) => {
      reached();
      await once(ctx.signal, 'abort');
    };
    const call = client.GetPatient({ id: PATIENT }, withToken('user'), () => {});
    await inHandler;
    expect(await sample('grpc_server_in_flight', { grpc_method: 'GetPatient' })).toBe(1);
    const recorded = nextRecord();
    call.cancel();
    await recorded;
    expect(records).toMatchObject([{ outcome: 'error' }]);
    expect(await sample('grpc_server_handled_total', { grpc_method: 'GetPatient', grpc_code: 'CANCELLED' })).toBe(1);
    expect(await sample('grpc_server_handled_total', { grpc_method: 'GetPatient' })).toBe(1);
    expect(await sample('grpc_server_in_flight', { grpc_method: 'GetPatient' })).toBe(0);
    expect(await sample('grpc_server_cancelled_total', { grpc_method: 'GetPatient' })).toBe(1);
  });

  it('a call whose deadline passes while handled is DEADLINE_EXCEEDED', async () => {
    const { client, behaviour, sample, nextRecord } = await start();
    behaviour.getPatient = async (ctx) => {
      await once(ctx.signal, 'abort');
    };
    const recorded = nextRecord();
    expect((await getPatient(client, 'user', 100)).error).toMatchObject({ code: status.DEADLINE_EXCEEDED });
    await recorded;
    // The server ends the call on a timer of its own, which may fire just after the handler's.
    await expect
      .poll(() => sample('grpc_server_handled_total', { grpc_method: 'GetPatient', grpc_code: 'DEADLINE_EXCEEDED' }), {
        interval: 5,
      })
      .toBe(1);
    expect(await sample('grpc_server_handled_total', { grpc_method: 'GetPatient' })).toBe(1);
    expect(await sample('grpc_server_cancelled_total', { grpc_method: 'GetPatient' })).toBe(1);
  });
});
