import { hostname } from 'node:os';
import type { GrpcMetrics, Logger } from '@patient-mesh/runtime';
import type { PatientServiceHandlers } from '@patient-mesh/contract';
import type { Registry } from 'prom-client';
import type { AuditEntry } from '../audit/auditChain.js';
import type { ImportsConfig } from '../config.js';
import { uuidv7 } from '../domain/uuidv7.js';
import type { AuthenticateCall } from '../grpc/authenticateCall.js';
import type { Db } from '../store/Db.js';
import { createImportHandlers } from './createImportHandlers.js';
import { createImportMetrics } from './importMetrics.js';
import { ImportStore } from './ImportStore.js';
import { ImportWorkers } from './ImportWorkers.js';

/** Errors kept per job; every error is counted. */
const MAX_FIRST_ERRORS = 100;

export interface ImportsDeps {
  authenticate: AuthenticateCall;
  db: Db;
  audit: { append(entry: AuditEntry): Promise<void> };
  logger: Logger;
  registry: Registry;
  grpcMetrics: GrpcMetrics;
}

export interface Imports {
  handlers: Pick<PatientServiceHandlers, 'ImportResponses' | 'GetImport'>;
  workers: ImportWorkers;
}

/** The bulk-import pipeline: staging handlers, the job store and this replica's workers. */
export function createImports(config: ImportsConfig, deps: ImportsDeps): Imports {
  const logger = deps.logger.child({ component: 'imports' });
  const owner = `${hostname()}/${process.pid}/${uuidv7().slice(-12)}`;
  const store = new ImportStore(deps.db, { leaseSeconds: config.leaseSeconds, maxFirstErrors: MAX_FIRST_ERRORS });
  const workers = new ImportWorkers(
    {
      workers: config.workers,
      batchSize: config.batchSize,
      batchConcurrency: config.batchConcurrency,
      pollIntervalMs: config.pollIntervalMs,
    },
    { store, metrics: createImportMetrics(deps.registry), logger, owner },
  );
  const handlers = createImportHandlers(
    { maxLineBytes: config.maxLineBytes, batchSize: config.batchSize, queueDepth: config.queueDepth },
    {
      authenticate: deps.authenticate,
      store,
      audit: deps.audit,
      logger,
      metrics: deps.grpcMetrics,
      owner,
      onStaged: () => workers.poke(),
    },
  );
  return { handlers, workers };
}
