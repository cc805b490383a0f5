import { status } from '@grpc/grpc-js';
import type { Logger } from '@patient-mesh/runtime';
import type { PatientServiceHandlers } from '@patient-mesh/contract';
import { NotFound } from '../domain/errors/NotFound.js';
import { requireUuid } from '../domain/requireUuid.js';
import { auditedClientStream, auditedUnary, type AuditSink } from '../grpc/auditedCall.js';
import { RpcError } from '../grpc/RpcError.js';
import { uuidv7 } from '../support/uuidv7.js';
import type { ImportStore } from './ImportStore.js';
import { receiveUpload } from './receiveUpload.js';

export interface ImportHandlersOptions {
  maxLineBytes: number;
  batchSize: number;
  /** Most unfinished jobs; a new upload beyond it is RESOURCE_EXHAUSTED. */
  queueDepth: number;
}

export interface ImportHandlersDeps {
  store: ImportStore;
  audit: AuditSink;
  logger: Logger;
  /** This replica's lease owner id (it holds the receiving lease). */
  owner: string;
  /** Called when a job is staged, so a worker can pick it up without waiting for the poll. */
  onStaged(jobId: string): void;
}

/** ImportResponses (client streaming) and GetImport, on the audited path: one audit record per call. */
export function createImportHandlers(
  options: ImportHandlersOptions,
  deps: ImportHandlersDeps,
): Pick<PatientServiceHandlers, 'ImportResponses' | 'GetImport'> {
  const { store, logger } = deps;
  return {
    ImportResponses: auditedClientStream(
      'ImportResponses',
      {
        action: 'import.create',
        patientIds: () => [''],
        async handle(upload, ctx) {
          if ((await store.openJobs()) >= options.queueDepth)
            throw new RpcError(status.RESOURCE_EXHAUSTED, 'import queue is full; retry later');
          const jobId = uuidv7();
          // The job's actor is the verified user at upload; workers apply it later under that name.
          await store.create(jobId, ctx.principal.sub, deps.owner);
          const log = logger.child({ jobId });
          log.info('import upload started');
          try {
            const job = await receiveUpload(jobId, upload, store, { ...options, signal: ctx.signal });
            log.info({ linesTotal: job.linesTotal }, 'import staged');
            deps.onStaged(jobId);
            return job;
          } catch (error) {
            // Nothing of an upload that did not complete is applied.
            await store.abort(jobId).catch((e: unknown) => log.error({ err: e }, 'import abort failed'));
            if (ctx.signal.aborted) log.info('import upload cancelled; job aborted');
            throw error;
          }
        },
      },
      deps,
    ),

    GetImport: auditedUnary(
      'GetImport',
      {
        action: 'import.read',
        patientIds: () => [''],
        async handle(req) {
          const job = await store.get(requireUuid('id', req.id));
          if (!job) throw new NotFound('import job not found');
          return job;
        },
      },
      deps,
    ),
  };
}
