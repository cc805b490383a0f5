import { adminSchema, lifecycleSchema, logSchema, port, serviceSchema } from '@patient-mesh/runtime';
import { z } from 'zod';

/** patient-rpc's config file (YAML) and `PM_*` overrides; chart values map 1:1. */
export const rpcConfigSchema = z.strictObject({
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
  seed: z
    .strictObject({
      /** Synthetic patients created at startup when the store has none (development only). */
      patients: z.number().int().min(0).max(100_000).default(0),
    })
    .prefault({}),
});

export type RpcConfig = z.infer<typeof rpcConfigSchema>;
