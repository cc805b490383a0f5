import {
  adminSchema,
  authSchema,
  lifecycleSchema,
  logSchema,
  port,
  refineTls,
  serviceSchema,
  tlsBaseSchema,
} from '@patient-mesh/runtime';
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
        /** Server reflection (generic clients discover the API); default: on in development, off in production. */
        reflection: z.boolean().optional(),
        /**
         * A connection older than this gets GOAWAY and the client reconnects: a rotated
         * certificate or trust bundle then reaches every connection within this time. Calls in
         * flight finish first (no grace limit: an upload is never cut). 0 keeps connections forever.
         */
        maxConnectionAgeSeconds: z.number().min(0).max(86_400).default(1800),
      })
      .prefault({}),
    /** The end user's token, forwarded by patient-api, is verified again here. */
    auth: authSchema,
    tls: tlsBaseSchema
      .extend({
        /**
         * Peer identities (the URI SAN of the client certificate, a SPIFFE id) allowed to call
         * PatientService; any other authenticated peer gets PERMISSION_DENIED.
         */
        allowedClients: z.array(z.string().regex(/^spiffe:\/\/[^/]+\/.+/, 'must be a spiffe:// id')).default([]),
      })
      .prefault({}),
    database: z
      .strictObject({
        /**
         * PostgreSQL URL; empty means the embedded PGlite store. Pass it by env from a Secret.
         * No TLS parameters (sslmode, ...): pg would let them replace database.tls wholesale.
         */
        url: z.string().default(''),
        /** PGlite data directory (`memory://` for a throwaway store). */
        pgliteDir: z.string().default('.data/pglite'),
        poolMax: z.number().int().min(1).max(200).default(10),
        /** Upper bound of any statement; calls with a shorter deadline get less. */
        statementTimeoutMs: z.number().int().min(100).max(600_000).default(5000),
        /**
         * TLS to PostgreSQL; production refuses a plaintext connection. Startup makes a first
         * connection: one the server or the certificate check refuses exits 78 naming the key.
         */
        tls: z
          .strictObject({
            /** `verify-full`: the server's certificate must chain to `caFile` and name the host of `url`. */
            mode: z.enum(['disable', 'verify-full']).default('disable'),
            /**
             * PEM CA bundle the server's certificate is verified against. Read again for each new
             * connection (so are certFile and keyFile): a rotated file applies without a restart.
             */
            caFile: z.string().default(''),
            /** Client certificate and key, for PostgreSQL certificate authentication (optional). */
            certFile: z.string().default(''),
            keyFile: z.string().default(''),
          })
          .prefault({}),
      })
      .prefault({}),
    audit: z
      .strictObject({
        /** Most audit records per commit (group commit). */
        maxBatch: z.number().int().min(1).max(5000).default(256),
        /**
         * Signed checkpoints: the Merkle tree (RFC 9162) over the trail, its size and root
         * signed as a C2SP checkpoint and published outside the database, so truncation and
         * rewrites are detected by anyone holding an earlier checkpoint.
         */
        checkpoints: z
          .strictObject({
            /** Ed25519 private key (PKCS#8 PEM) that signs them; empty: no checkpoints (refused in production). Mount it from a Secret. */
            signingKeyFile: z.string().default(''),
            /** The log's name in every checkpoint, and the signing key's name. */
            origin: z
              .string()
              .regex(/^[^\s+]+$/, 'no spaces or +')
              .default('patient-mesh/audit'),
            /** How often records are integrated and a checkpoint signed (when there are new ones): the bound on the delay. */
            intervalMs: z.number().int().min(50).max(60_000).default(1000),
            /** Most records integrated per checkpoint. */
            maxBatch: z.number().int().min(1).max(1_000_000).default(100_000),
            /**
             * A hole in the records' seq (an append whose transaction never committed) older than
             * this is sealed with an audit.gap record; keep it above database.statementTimeoutMs.
             */
            gapGraceMs: z.number().int().min(100).max(3_600_000).default(10_000),
            /** Also append each checkpoint to this file (JSON lines): a sink outside the database for development and tests. */
            file: z.string().default(''),
          })
          .prefault({}),
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
  .superRefine((c, ctx) => {
    if (c.faults.enabled && c.service.environment === 'production')
      ctx.addIssue({
        code: 'custom',
        path: ['faults', 'enabled'],
        message: 'fault injection cannot be enabled when service.environment is production',
      });
    if (c.service.environment === 'production' && !c.audit.checkpoints.signingKeyFile)
      ctx.addIssue({
        code: 'custom',
        path: ['audit', 'checkpoints', 'signingKeyFile'],
        message:
          'production needs signed audit checkpoints: mount an Ed25519 key (scripts/audit-key.ts makes one) and set its file',
      });
    refineTls(c.tls, c.service.environment, ctx, {
      key: 'allowedClients',
      names: "the peer identities allowed to call (patient-api's SPIFFE id)",
    });
    const dbTls = c.database.tls;
    if (dbTls.mode === 'verify-full' && !dbTls.caFile)
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'tls', 'caFile'],
        message: 'required when database.tls.mode is verify-full',
      });
    if ((dbTls.certFile === '') !== (dbTls.keyFile === ''))
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'tls', 'keyFile'],
        message: 'set both database.tls.certFile and keyFile, or neither',
      });
    if (c.database.url && dbTls.mode !== 'verify-full' && c.service.environment === 'production')
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'tls', 'mode'],
        message: 'a plaintext PostgreSQL connection is refused in production: set verify-full and caFile',
      });
    if (c.database.url && urlSetsTls(c.database.url))
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'url'],
        message:
          'TLS settings in the URL (sslmode, sslrootcert, ...) override database.tls silently: set them in database.tls',
      });
  });

/** Whether a PostgreSQL URL carries ssl* parameters (decoded, as pg reads them). */
function urlSetsTls(url: string): boolean {
  try {
    return [...new URL(url).searchParams.keys()].some((key) => key.toLowerCase().startsWith('ssl'));
  } catch {
    return /[?&](%73|s)sl/i.test(url);
  }
}

export type RpcConfig = z.infer<typeof rpcConfigSchema>;
export type ImportsConfig = RpcConfig['imports'];
export type RpcTlsConfig = RpcConfig['tls'];
