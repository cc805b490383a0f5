import { adminSchema, lifecycleSchema, logSchema, port, serviceSchema } from '@patient-mesh/runtime';
import { z } from 'zod';
import { faultSettingsSchema } from './grpc/FaultInjector.js';

/** patient-rpc's config file (YAML) and `PM_*` overrides; chart values map 1:1. */
export const rpcConfigSchema = z
  .strictObject({
    service: serviceSchema,
    log: logSchema,
    admin: adminSchema(9091),
    lifecycle: lifecycleSchema,
    grpc: z
      .strictObject({
        host: z.string().default('0.0.0.0'),
        port: port.default(50051),
      })
      .prefault({}),
    database: z
      .strictObject({
        /** PostgreSQL URL; empty means the embedded PGlite store. Pass it by env from a Secret. */
        url: z.string().default(''),
        /** PGlite data directory (`memory://` for a throwaway store). */
        pgliteDir: z.string().default('.data/pglite'),
        poolMax: z.number().int().min(1).max(200).default(10),
        /** Upper bound of any statement; calls with a shorter deadline get less. */
        statementTimeoutMs: z.number().int().min(100).max(600_000).default(5000),
      })
      .prefault({}),
    audit: z
      .strictObject({
        /** Most audit records per commit (group commit). */
        maxBatch: z.number().int().min(1).max(5000).default(256),
      })
      .prefault({}),
    patientCache: z
      .strictObject({
        /** Patient records kept in memory (records never change once created); 0 turns it off. */
        maxEntries: z.number().int().min(0).max(1_000_000).default(10_000),
        /** Longest a record is served from memory: bounds staleness after an out-of-band SQL change. */
        ttlSeconds: z.number().int().min(1).max(86_400).default(60),
      })
      .prefault({}),
    imports: z
      .strictObject({
        /** Import jobs one replica processes at once; each applies batchConcurrency batches at a
         * time, and the connection pool (poolMax) bounds the writers in total. */
        workers: z.number().int().min(1).max(1000).default(100),
        /** Most unfinished jobs (receiving, staged, running) across all replicas; a new upload
         * beyond it is refused with RESOURCE_EXHAUSTED (HTTP 429). */
        queueDepth: z.number().int().min(1).max(100_000).default(1000),
        /** Lines per staging COPY and per processing transaction. */
        batchSize: z.number().int().min(1).max(10_000).default(5000),
        /** Batches of one job applied at once, each in its own transaction (and connection). */
        batchConcurrency: z.number().int().min(1).max(16).default(2),
        /** A job's lease; renewed by every committed batch. A dead replica's jobs resume after it. */
        leaseSeconds: z.number().min(1).max(3600).default(30),
        /** How often each replica looks for claimable jobs. */
        pollIntervalMs: z.number().int().min(50).max(60_000).default(1000),
        /** Longest line; longer lines are rejected ("line exceeds N bytes") without being buffered. */
        maxLineBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(64 * 1024),
      })
      .prefault({}),
    seed: z
      .strictObject({
        /** Synthetic patients created at startup when the store has none (development only). */
        patients: z.number().int().min(0).max(100_000).default(0),
      })
      .prefault({}),
    /** Fault injection for tests and demos; refused in production. */
    faults: faultSettingsSchema
      .extend({
        enabled: z.boolean().default(false),
        /** Bearer token for `PUT /faults` on the admin port; empty disables the endpoint. */
        adminToken: z.string().default(''),
      })
      .prefault({}),
  })
  .refine((c) => !(c.faults.enabled && c.service.environment === 'production'), {
    message: 'fault injection cannot be enabled when service.environment is production',
    path: ['faults', 'enabled'],
  });

export type RpcConfig = z.infer<typeof rpcConfigSchema>;
export type ImportsConfig = RpcConfig['imports'];
