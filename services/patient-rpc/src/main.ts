import {
  bootstrapService,
  createAdminServer,
  createGrpcMetrics,
  type createRegistry,
  createTokenVerifier,
  createWorkloadTls,
  drainGrpcServer,
  faultRoutes,
  getTelemetry,
  isConfigError,
  type Logger,
} from '@patient-mesh/runtime';
import { patientServiceMethods } from '@patient-mesh/contract';
import { createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Counter, Gauge } from 'prom-client';
import { AuditLog } from './audit/AuditLog.js';
import { AuditWriter } from './audit/AuditWriter.js';
import { AuditProofs } from './audit/ledger/AuditProofs.js';
import { createNoteSigner } from './audit/ledger/checkpoint.js';
import { Checkpointer, fileSink, latestCheckpointNote } from './audit/ledger/Checkpointer.js';
import { rpcConfigSchema, type RpcConfig } from './config.js';
import { createCallAuthenticator } from './grpc/authenticateCall.js';
import { createSubmissionCounter } from './grpc/createSubmissionCounter.js';
import { ConnectionIdentities } from './grpc/ConnectionIdentities.js';
import { REJECTION_REASONS } from './grpc/CallRejected.js';
import { authenticationGate } from './grpc/interceptors/authenticationGate.js';
import { countArrivals } from './grpc/interceptors/countArrivals.js';
import { recordRpcMetrics } from './grpc/interceptors/recordRpcMetrics.js';
import { HANDSHAKE_FAILURE_REASONS } from './grpc/watchTlsConnections.js';
import { createPatientHandlers } from './grpc/patientService.js';
import { createImports } from './imports/createImports.js';
import { FaultInjector, faultSettingsSchema } from './grpc/FaultInjector.js';
import { PatientRepository } from './patients/PatientRepository.js';
import { syntheticPatients } from './seed/syntheticPatients.js';
import { createRpcServer } from './server.js';
import { createPgliteDb } from './store/createPgliteDb.js';
import { openPgDb } from './store/openPgDb.js';
import type { Db } from './store/Db.js';
import { migrate } from './store/migrate.js';
import { withStoreFailures } from './store/withStoreFailures.js';
import { uuidv7 } from './support/uuidv7.js';

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
  const adminRoutes = faultRoutes(faults, faultSettingsSchema, config.faults.adminToken);
  const admin = createAdminServer({ lifecycle, registry, routes: adminRoutes });
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
  const checkpointer = createCheckpointer(config, { db, logger, registry });
  // Public, not patient data: the signed checkpoint verifiers compare their copies with.
  adminRoutes['GET /audit/checkpoint'] = async (_req, res) => {
    const note = await latestCheckpointNote(db);
    res.writeHead(note ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(note ?? 'no checkpoint yet\n');
  };
  const submissions = createSubmissionCounter(registry);
  const grpcMetrics = createGrpcMetrics(
    registry,
    'server',
    patientServiceMethods().map((m) => m.name),
  );

  // Who may call: a peer with an allowed workload certificate (mTLS), on behalf of a user
  // whose token verifies here. Plaintext only outside production (or under a sidecar mesh).
  const tls = config.tls.mode === 'mtls' ? createWorkloadTls(config.tls, { logger, registry }) : undefined;
  if (tls) {
    await tls.loaded;
    lifecycle.addReadinessCheck(() => tls.problem() ?? true);
  } else {
    logger.warn({ tlsMode: config.tls.mode }, `gRPC served without in-app TLS (tls.mode ${config.tls.mode})`);
  }
  const tokens = createTokenVerifier(config.auth, { logger: logger.child({ component: 'auth' }) });
  const { rejections, handshakeFailures } = createRejectionMetrics(registry);
  const connections = new ConnectionIdentities();
  const authenticate = createCallAuthenticator(
    { tlsMode: config.tls.mode, allowedClients: config.tls.allowedClients },
    { tokens, rejections, connections },
  );
  const imports = createImports(config.imports, { db, audit, logger, registry });
  const handlers = {
    ...createPatientHandlers({
      patients,
      auditLog: new AuditLog(db),
      auditProofs: new AuditProofs(db),
      audit,
      submissions,
      logger,
    }),
    ...imports.handlers,
  };
  const rpc = createRpcServer(handlers, {
    callPath: {
      arrivals: countArrivals(registry),
      faults: faults.interceptor,
      metrics: recordRpcMetrics(grpcMetrics),
      authentication: authenticationGate(authenticate),
    },
    ...(tls && { credentials: tls.serverCredentials() }),
    reflection: config.grpc.reflection ?? config.service.environment !== 'production',
    maxConnectionAgeMs: config.grpc.maxConnectionAgeSeconds * 1000,
    tlsObserver: {
      onFailure: (reason) => handshakeFailures.inc({ reason }),
      // One line per connection (a few per api pod per maxConnectionAge): who, with which certificate.
      onPeer: (socket) => {
        const certificate = socket.getPeerCertificate();
        const peer = connections.add(socket, certificate);
        logger.info({ peer, serial: certificate.serialNumber, notAfter: certificate.valid_to }, 'tls peer connected');
      },
    },
  });
  const port = await rpc.listen(config.grpc.host, config.grpc.port);

  lifecycle.addDrainStep('grpc', (signal) =>
    drainGrpcServer(rpc.server, { setNotServing: () => rpc.setServing(false), signal }),
  );
  // Import workers commit their current batch and release their leases to other replicas.
  lifecycle.addDrainStep('imports', () => imports.workers.stop());
  lifecycle.addCloseStep('audit', () => audit.flush());
  // After the last records: the final checkpoint covers every one this replica wrote.
  lifecycle.addCloseStep('audit-checkpoint', async () => checkpointer?.stop());
  lifecycle.addCloseStep('database', () => db.close());
  lifecycle.addCloseStep('credentials', async () => {
    tokens.close();
    tls?.close();
  });

  rpc.setServing(true);
  // Spans of the drain itself are flushed before the admin port (scrapes) goes away.
  lifecycle.addCloseStep('telemetry', () => getTelemetry().shutdown());
  lifecycle.addCloseStep('admin', async () => {
    admin.closeAllConnections();
    admin.close();
  });
  lifecycle.markReady();
  imports.workers.start();
  checkpointer?.start();
  logger.info({ grpcPort: port, adminPort: (admin.address() as AddressInfo).port }, 'listening');
}

/**
 * The store, its failures of its own as StoreFailure (withStoreFailures). A PostgreSQL store
 * is checked with a first connection: bad TLS settings fail startup as a ConfigError.
 */
async function openDb(config: RpcConfig, logger: Logger): Promise<Db> {
  const { url, poolMax, statementTimeoutMs, tls, pgliteDir } = config.database;
  if (url) {
    logger.info({ tls: tls.mode }, 'store: postgresql');
    return withStoreFailures(await openPgDb({ url, poolMax, statementTimeoutMs, tls }));
  }
  logger.info({ dataDir: pgliteDir }, 'store: embedded pglite');
  return withStoreFailures(await createPgliteDb({ dataDir: pgliteDir }));
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

/** The audit checkpointer, when a signing key is configured (else a warning; production refuses to start without one). */
function createCheckpointer(
  config: RpcConfig,
  deps: { db: Db; logger: Logger; registry: ReturnType<typeof createRegistry> },
): Checkpointer | undefined {
  const settings = config.audit.checkpoints;
  if (!settings.signingKeyFile) {
    deps.logger.warn('audit.checkpoints.signingKeyFile is not set: no signed audit checkpoints');
    return undefined;
  }
  const signer = createNoteSigner(settings.origin, createPrivateKey(readFileSync(settings.signingKeyFile)));
  deps.logger.info({ origin: settings.origin, verifierKey: signer.verifierKey }, 'audit checkpoints signed');
  return new Checkpointer(settings, {
    ...deps,
    signer,
    logger: deps.logger.child({ component: 'audit-ledger' }),
    sinks: settings.file ? [fileSink(settings.file)] : [],
  });
}

/** Calls and connections refused before reaching a handler; every reason starts at 0. */
function createRejectionMetrics(registry: ReturnType<typeof createRegistry>) {
  const rejections = new Counter({
    name: 'grpc_server_peer_rejections_total',
    help: 'PatientService calls refused before any handler ran, by reason (peer_not_allowed, token_missing, token_invalid).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const handshakeFailures = new Counter({
    name: 'tls_handshake_failures_total',
    help: 'TLS handshakes refused on the gRPC port, by reason (no_certificate, untrusted_certificate, not_tls, other).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of REJECTION_REASONS) rejections.inc({ reason }, 0);
  for (const reason of HANDSHAKE_FAILURE_REASONS) handshakeFailures.inc({ reason }, 0);
  return { rejections, handshakeFailures };
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
  // Settings found wrong after loading (the database refused its TLS): exit 78 like loadConfig's.
  if (isConfigError(error)) {
    process.stderr.write(`patient-rpc: ${error.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`patient-rpc: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
