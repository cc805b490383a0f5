import { hostname } from 'node:os';
import type { Logger } from '@patient-mesh/runtime';
import type { PatientServiceHandlers } from '@patient-mesh/contract';
import type { Registry } from 'prom-client';
import type { ImportsConfig } from '../config.js';
import type { AuditSink } from '../grpc/auditedCall.js';
import type { Db } from '../store/Db.js';
import { uuidv7 } from '../support/uuidv7.js';
import { createImportHandlers } from './createImportHandlers.js';
import { createImportMetrics } from './importMetrics.js';
import { ImportStore } from './ImportStore.js';
import { ImportWorkers } from './ImportWorkers.js';

/** Errors kept per job; every error is counted. */
const MAX_FIRST_ERRORS = 100;

export interface ImportsDeps {
  db: Db;
  audit: AuditSink;
  logger: Logger;
  registry: Registry;
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
    { store, audit: deps.audit, logger, owner, onStaged: () => workers.poke() },
  );
  return { handlers, workers };
}
