import { Metadata, status, type handleClientStreamingCall, type ServerReadableStream } from '@grpc/grpc-js';
import { type GrpcMetrics, type Logger } from '@patient-mesh/runtime';
import { ACTION_ROLE, roleFor, type ImportJob, type PatientServiceHandlers } from '@patient-mesh/contract';
import type { AuditEntry } from '../audit/auditChain.js';
import { UUID_PATTERN, uuidv7 } from '../domain/uuidv7.js';
import { auditedUnary } from '../grpc/auditedUnary.js';
import type { AuthenticateCall } from '../grpc/authenticateCall.js';
import { deniedEntry } from '../grpc/CallRejected.js';
import { invalidArgument, isRpcError, notFound, RpcError } from '../grpc/RpcError.js';
import { auditUnavailable, storeFailureError } from '../grpc/storeFailure.js';
import type { ImportStore } from './ImportStore.js';
import { receiveUpload } from './receiveUpload.js';

export interface ImportHandlersOptions {
  maxLineBytes: number;
  batchSize: number;
  /** Most unfinished jobs; a new upload beyond it is RESOURCE_EXHAUSTED. */
  queueDepth: number;
}

export interface ImportHandlersDeps {
  authenticate: AuthenticateCall;
  store: ImportStore;
  audit: { append(entry: AuditEntry): Promise<void> };
  logger: Logger;
  metrics: GrpcMetrics;
  /** This replica's lease owner id (it holds the receiving lease). */
  owner: string;
  /** Called when a job is staged, so a worker can pick it up without waiting for the poll. */
  onStaged(jobId: string): void;
}

type ImportChunk = { data: Buffer };

/** ImportResponses (client streaming) and GetImport; one audit record per call. */
export function createImportHandlers(
  options: ImportHandlersOptions,
  deps: ImportHandlersDeps,
): Pick<PatientServiceHandlers, 'ImportResponses' | 'GetImport'> {
  const ImportResponses: handleClientStreamingCall<ImportChunk, ImportJob> = (call, callback) => {
    const method = 'ImportResponses';
    const end = deps.metrics.duration.startTimer({ grpc_method: method });
    deps.metrics.inFlight.inc({ grpc_method: method });
    const finish = (code: status) => {
      const labels = { grpc_method: method, grpc_code: status[code] };
      end(labels);
      deps.metrics.handled.inc(labels);
      deps.metrics.inFlight.dec({ grpc_method: method });
    };
    importUpload(call, options, deps).then(
      (job) => {
        finish(status.OK);
        callback(null, job);
      },
      (error: unknown) => {
        const rpc = isRpcError(error)
          ? error
          : (storeFailureError(error) ?? new RpcError(status.INTERNAL, 'internal error'));
        if (!isRpcError(error)) deps.logger.error({ err: error }, 'import upload failed');
        finish(rpc.code);
        const trailer = new Metadata();
        if (rpc.edgeReason) trailer.set('x-reason', rpc.edgeReason);
        callback({ code: rpc.code, details: rpc.message, metadata: trailer });
      },
    );
  };

  return {
    ImportResponses: ImportResponses as PatientServiceHandlers['ImportResponses'],
    GetImport: auditedUnary(
      'GetImport',
      {
        action: 'import.read',
        patientIds: () => [''],
        async handle(req) {
          if (!UUID_PATTERN.test(req.id)) throw invalidArgument('id', 'must be a UUID');
          const job = await deps.store.get(req.id.toLowerCase());
          if (!job) throw notFound('import job');
          return job;
        },
      },
      deps,
    ),
  };
}

async function importUpload(
  call: ServerReadableStream<ImportChunk, ImportJob>,
  options: ImportHandlersOptions,
  deps: ImportHandlersDeps,
): Promise<ImportJob> {
  let caller;
  try {
    caller = await deps.authenticate(call);
  } catch (error) {
    const denied = deniedEntry(error, 'import.create');
    if (denied) await record(deps, { ...denied, patientId: '' });
    throw error;
  }
  const { principal, requestId, traceId } = caller;
  // The job's actor is the verified user at upload; workers apply it later under that name.
  const base = { actor: principal.sub, action: 'import.create', patientId: '', requestId, traceId };
  const role = roleFor(principal, 'import.create');
  if (!role) {
    await record(deps, { ...base, role: principal.roles.join(',') || 'none', outcome: 'denied' });
    throw new RpcError(status.PERMISSION_DENIED, `role ${ACTION_ROLE['import.create']} required for import.create`);
  }
  if ((await deps.store.openJobs()) >= options.queueDepth) {
    await record(deps, { ...base, role, outcome: 'error' });
    throw new RpcError(status.RESOURCE_EXHAUSTED, 'import queue is full; retry later');
  }

  const jobId = uuidv7();
  await deps.store.create(jobId, principal.sub, deps.owner);
  const log = deps.logger.child({ jobId });
  log.info('import upload started');
  const cancelled = new AbortController();
  const onCancel = () => cancelled.abort(new RpcError(status.CANCELLED, 'upload cancelled'));
  if (call.cancelled) onCancel();
  call.once('cancelled', onCancel);
  let job: ImportJob;
  try {
    job = await receiveUpload(jobId, call, deps.store, { ...options, signal: cancelled.signal });
  } catch (error) {
    await deps.store.abort(jobId).catch((e: unknown) => log.error({ err: e }, 'import abort failed'));
    await record(deps, { ...base, role, outcome: 'error' }).catch(() => {});
    if (call.cancelled) {
      log.info('import upload cancelled; job aborted');
      throw new RpcError(status.CANCELLED, 'upload cancelled');
    }
    throw error;
  } finally {
    call.removeListener('cancelled', onCancel);
  }
  await record(deps, { ...base, role, outcome: 'ok' });
  log.info({ linesTotal: job.linesTotal }, 'import staged');
  deps.onStaged(jobId);
  return job;
}

async function record(deps: ImportHandlersDeps, entry: AuditEntry): Promise<void> {
  try {
    await deps.audit.append(entry);
  } catch (error) {
    deps.logger.error({ err: error }, 'audit append failed');
    throw auditUnavailable(error);
  }
}
