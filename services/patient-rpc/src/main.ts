import {
  bootstrapService,
  createAdminServer,
  createGrpcMetrics,
  type createRegistry,
  drainGrpcServer,
  getTelemetry,
  type Logger,
} from '@patient-mesh/runtime';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Counter, Gauge } from 'prom-client';
import { AuditLog } from './audit/AuditLog.js';
import { AuditWriter } from './audit/AuditWriter.js';
import { rpcConfigSchema, type RpcConfig } from './config.js';
import { syntheticPatients } from './domain/syntheticPatients.js';
import { uuidv7 } from './domain/uuidv7.js';
import { createPatientHandlers } from './grpc/patientService.js';
import { createImports } from './imports/createImports.js';
import { FaultInjector } from './grpc/FaultInjector.js';
import { faultRoutes } from './grpc/faultRoutes.js';
import { PatientRepository } from './patients/PatientRepository.js';
import { createRpcServer } from './server.js';
import { createPgDb } from './store/createPgDb.js';
import { createPgliteDb } from './store/createPgliteDb.js';
import type { Db } from './store/Db.js';
import { migrate } from './store/migrate.js';

const MIGRATIONS = fileURLToPath(new URL('../migrations/', import.meta.url));

/** The composition root: config → logger → metrics → store → servers → lifecycle. */
async function main(): Promise<void> {
  const { config, logger, registry, lifecycle } = bootstrapService(
    'patient-rpc',
    rpcConfigSchema,
    process.argv,
    process.env,
  );

  // The admin port answers probes and scrapes through the whole drain; it closes last.
  const faults = new FaultInjector(config.faults.enabled, config.faults, registry, logger);
  const admin = createAdminServer({ lifecycle, registry, routes: faultRoutes(faults, config.faults.adminToken) });
  admin.listen(config.admin.port, config.admin.host);
  await once(admin, 'listening');

  const db = await openDb(config, logger);
  const applied = await migrate(db, MIGRATIONS);
  logger.info({ applied, store: db.kind }, 'migrations applied');
  registerPoolMetrics(db, registry);
  lifecycle.addReadinessCheck(() => db.ping());

  const patients = new PatientRepository(db, config.patientCache);
  await seed(config, patients, logger);

  const audit = new AuditWriter(db, config.audit, registry);
  const submissions = new Counter({
    name: 'epro_submissions_total',
    help: 'ePRO questionnaire submissions, by instrument and outcome (accepted, replayed, rejected, failed).',
    labelNames: ['instrument', 'outcome'] as const,
    registers: [registry],
  });
  const grpcMetrics = createGrpcMetrics(registry, 'server');
  const imports = createImports(config.imports, { db, audit, logger, registry, grpcMetrics });
  const handlers = faults.wrap({
    ...createPatientHandlers({
      patients,
      auditLog: new AuditLog(db),
      audit,
      submissions,
      logger,
      metrics: grpcMetrics,
    }),
    ...imports.handlers,
  });
  const rpc = createRpcServer(handlers);
  const port = await rpc.listen(config.grpc.host, config.grpc.port);

  lifecycle.addDrainStep('grpc', (signal) =>
    drainGrpcServer(rpc.server, { setNotServing: () => rpc.setServing(false), signal }),
  );
  // Import workers commit their current batch and release their leases to other replicas.
  lifecycle.addDrainStep('imports', () => imports.workers.stop());
  lifecycle.addCloseStep('audit', () => audit.flush());
  lifecycle.addCloseStep('database', () => db.close());

  rpc.setServing(true);
  // Spans of the drain itself are flushed before the admin port (scrapes) goes away.
  lifecycle.addCloseStep('telemetry', () => getTelemetry().shutdown());
  lifecycle.addCloseStep('admin', async () => {
    admin.closeAllConnections();
    admin.close();
  });
  lifecycle.markReady();
  imports.workers.start();
  logger.info({ grpcPort: port, adminPort: (admin.address() as AddressInfo).port }, 'listening');
}

async function openDb(config: RpcConfig, logger: Logger): Promise<Db> {
  if (config.database.url) {
    logger.info('store: postgresql');
    return createPgDb({
      url: config.database.url,
      poolMax: config.database.poolMax,
      statementTimeoutMs: config.database.statementTimeoutMs,
    });
  }
  logger.info({ dataDir: config.database.pgliteDir }, 'store: embedded pglite');
  return createPgliteDb({ dataDir: config.database.pgliteDir });
}

async function seed(config: RpcConfig, patients: PatientRepository, logger: Logger): Promise<void> {
  if (config.seed.patients === 0) return;
  if (config.service.environment === 'production') {
    logger.warn('seed.patients ignored in production');
    return;
  }
  if ((await patients.count()) > 0) return;
  for (const p of syntheticPatients(config.seed.patients)) await patients.create(uuidv7(), p);
  logger.info({ count: config.seed.patients }, 'synthetic patients created');
}

function registerPoolMetrics(db: Db, registry: ReturnType<typeof createRegistry>): void {
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database connections by state (total, idle, waiting clients).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = db.poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`patient-rpc: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
