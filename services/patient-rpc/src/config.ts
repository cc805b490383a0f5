import {
  adminSchema,
  authSchema,
  lifecycleSchema,
  logSchema,
  port,
  refineTls,
  serviceSchema,
  spiffeIdSchema,
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
        host: z.string().default('0.0.0.0').describe('Bind address.'),
        port: port.default(50051).describe('Port; also the containerPort "grpc".'),
        reflection: z
          .boolean()
          .optional()
          .describe(
            'Server reflection (generic clients discover the API); unset = on in development, off in production.',
          ),
        maxConnectionAgeSeconds: z
          .number()
          .int()
          .min(0)
          .max(86_400)
          .default(1800)
          .describe(
            'A connection older than this gets GOAWAY and the client reconnects, so a rotated certificate or trust bundle reaches every connection; calls in flight finish first (an upload is never cut). 0 = never.',
          ),
      })
      .prefault({})
      .describe('gRPC listener.'),
    // The end user's token, forwarded by patient-api, is verified again here.
    auth: authSchema,
    tls: tlsBaseSchema
      .extend({
        allowedClients: z
          .array(spiffeIdSchema)
          .default([])
          .describe(
            'SPIFFE ids (URI SAN of the client certificate) allowed to call PatientService; any other authenticated peer gets PERMISSION_DENIED.',
          ),
      })
      .prefault({})
      .describe('Transport security of the connections from patient-api.'),
    database: z
      .strictObject({
        url: z
          .string()
          .default('')
          .describe(
            'PostgreSQL URL, passed by env (PM_DATABASE__URL) from a Secret; empty = the embedded PGlite store. No TLS parameters (sslmode, ...): pg would let them replace database.tls wholesale.',
          ),
        pgliteDir: z
          .string()
          .default('.data/pglite')
          .describe('Embedded PGlite directory (memory:// for a throwaway store) when url is empty; demos only.'),
        poolMax: z.number().int().min(1).max(200).default(10).describe('PostgreSQL pool size per process.'),
        statementTimeoutMs: z
          .number()
          .int()
          .min(100)
          .max(600_000)
          .default(5000)
          .describe('Upper bound of any statement; calls with a shorter deadline get less.'),
        tls: z
          .strictObject({
            mode: z
              .enum(['disable', 'verify-full'])
              .default('disable')
              .describe(
                "verify-full: the server's certificate must chain to caFile and name the URL host (required in production); or disable.",
              ),
            caFile: z
              .string()
              .default('')
              .describe(
                "PEM CA bundle the server's certificate is verified against, read again for each new connection (a rotated file applies without a restart).",
              ),
            certFile: z
              .string()
              .default('')
              .describe('Client certificate, for PostgreSQL certificate authentication (optional).'),
            keyFile: z.string().default('').describe('Client key, with certFile.'),
          })
          .prefault({})
          .describe(
            'TLS to PostgreSQL (never in the URL). Startup makes a first connection: one the server or the certificate check refuses exits 78 naming the key.',
          ),
      })
      .prefault({})
      .describe('The store.'),
    audit: z
      .strictObject({
        maxBatch: z
          .number()
          .int()
          .min(1)
          .max(5000)
          .default(256)
          .describe('Most audit records per commit (group commit).'),
        checkpoints: z
          .strictObject({
            signingKeyFile: z
              .string()
              .default('')
              .describe(
                'Ed25519 private key (PKCS#8 PEM, mounted from a Secret) that signs them; empty = no checkpoints (refused in production).',
              ),
            origin: z
              .string()
              .regex(/^[^\s+]+$/, 'no spaces or +')
              .default('patient-mesh/audit')
              .describe("The log's name in every checkpoint and the signing key's name (no spaces or +)."),
            intervalMs: z
              .number()
              .int()
              .min(50)
              .max(60_000)
              .default(1000)
              .describe('How often new records are integrated and a checkpoint signed: the bound on the delay.'),
            maxBatch: z
              .number()
              .int()
              .min(1)
              .max(1_000_000)
              .default(100_000)
              .describe('Most records integrated per checkpoint.'),
            gapGraceMs: z
              .number()
              .int()
              .min(100)
              .max(3_600_000)
              .default(10_000)
              .describe(
                'A hole in seq (an append that never committed) older than this is sealed with an audit.gap record; keep it above database.statementTimeoutMs.',
              ),
            file: z
              .string()
              .default('')
              .describe('Also append each checkpoint to this file (JSON lines): a sink for development and tests.'),
          })
          .prefault({})
          .describe(
            'Signed checkpoints: the Merkle root (RFC 9162) and size of the trail, signed as a C2SP checkpoint and published outside the database, so truncation and rewrites are detected by anyone holding an earlier one.',
          ),
      })
      .prefault({})
      .describe('Audit trail.'),
    patientCache: z
      .strictObject({
        maxEntries: z
          .number()
          .int()
          .min(0)
          .max(1_000_000)
          .default(10_000)
          .describe('Records kept; 0 turns the cache off.'),
        ttlSeconds: z
          .number()
          .int()
          .min(1)
          .max(86_400)
          .default(60)
          .describe('Longest a record is served from memory (bounds staleness after an out-of-band SQL change).'),
      })
      .prefault({})
      .describe('In-memory cache of patient records (immutable once created); every read is still audited.'),
    imports: z
      .strictObject({
        workers: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(100)
          .describe(
            'Import jobs one replica processes at once; each applies batchConcurrency batches at a time, and the pool (database.poolMax) bounds the writers in total.',
          ),
        queueDepth: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(1000)
          .describe(
            'Most unfinished jobs (receiving, staged, running) across replicas; a new upload beyond it gets RESOURCE_EXHAUSTED (HTTP 429).',
          ),
        batchSize: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(5000)
          .describe('Lines per staging COPY and per apply transaction.'),
        batchConcurrency: z
          .number()
          .int()
          .min(1)
          .max(16)
          .default(2)
          .describe('Batches of one job applied at once, each in its own transaction and connection.'),
        leaseSeconds: z
          .number()
          .int()
          .min(1)
          .max(3600)
          .default(30)
          .describe("A job's lease, renewed by every committed batch; a dead replica's jobs resume after it."),
        pollIntervalMs: z
          .number()
          .int()
          .min(50)
          .max(60_000)
          .default(1000)
          .describe('How often each replica looks for claimable jobs.'),
        maxLineBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(64 * 1024)
          .describe('Longest NDJSON line; longer lines are rejected per line, without being buffered.'),
      })
      .prefault({})
      .describe('ePRO bulk import pipeline.'),
    seed: z
      .strictObject({
        patients: z
          .number()
          .int()
          .min(0)
          .max(100_000)
          .default(0)
          .describe('Synthetic patients created at startup when the store has none (development only).'),
      })
      .prefault({})
      .describe('Development seeding.'),
    faults: faultSettingsSchema
      .extend({
        enabled: z.boolean().default(false).describe('Turn fault injection on.'),
        adminToken: z
          .string()
          .default('')
          .describe('Bearer token for PUT /faults on the admin port; empty disables the endpoint.'),
      })
      .prefault({})
      .describe('Fault injection for tests and demos; refused in production.'),
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
