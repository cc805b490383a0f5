import { z } from 'zod';

/** Config slices shared by both services. Chart values map one-to-one to these keys. */
export const port = z.number().int().min(0).max(65535);
const host = z.string().default('0.0.0.0').describe('Bind address.');

export const serviceSchema = z
  .strictObject({
    environment: z
      .enum(['development', 'production'])
      .default('development')
      .describe('production refuses development-only features (fault injection, plaintext, unsigned audit).'),
  })
  .prefault({})
  .describe('Service identity.');

export const logSchema = z
  .strictObject({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('pino log level.'),
  })
  .prefault({})
  .describe('Logging (JSON lines on stdout).');

export const adminSchema = (defaultPort: number) =>
  z
    .strictObject({
      host,
      port: port.default(defaultPort).describe('Port; also the containerPort "admin".'),
    })
    .prefault({})
    .describe('Admin listener (/livez /readyz /metrics), plaintext, never exposed outside the cluster.');

export const lifecycleSchema = z
  .strictObject({
    shutdownTimeoutSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(20)
      .describe('In-app drain budget after SIGTERM; past it, connections are cut and the exit code is 1.'),
    preStopSeconds: z.number().min(0).default(5).describe("The pod's preStop sleep; only used to check the budget."),
    terminationGracePeriodSeconds: z
      .number()
      .positive()
      .default(30)
      .describe("The pod's terminationGracePeriodSeconds; only used to check the budget."),
    idleSocketQuietMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(1000)
      .describe('While draining, a keep-alive socket idle this long is closed.'),
  })
  .prefault({})
  .refine((l) => l.shutdownTimeoutSeconds + l.preStopSeconds < l.terminationGracePeriodSeconds, {
    message:
      'shutdownTimeoutSeconds + preStopSeconds must be below terminationGracePeriodSeconds, or the kubelet kills the pod mid-drain',
    path: ['shutdownTimeoutSeconds'],
  })
  .describe(
    'Graceful drain timing; shutdownTimeoutSeconds + preStopSeconds must be below terminationGracePeriodSeconds.',
  );

/**
 * End-user bearer tokens (JWT): verified by patient-api at the edge and again by patient-rpc,
 * which takes the actor and roles from the verified claims only.
 */
export const authSchema = z
  .strictObject({
    jwksFile: z
      .string()
      .default('')
      .describe(
        'JWKS file (public keys), re-read when it changes (a mounted Secret updated in place); the chart mounts auth.jwksSecret / auth.jwksConfigMap at its directory.',
      ),
    jwksUrl: z.url().or(z.literal('')).default('').describe('JWKS URL, fetched and cached.'),
    jwksRefreshSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(5)
      .describe('How often jwksFile is checked for changes: bounds how long a rotated key set takes to apply.'),
    issuer: z.string().min(1).default('patient-mesh').describe('Expected iss claim.'),
    audience: z
      .string()
      .min(1)
      .default('patient-api')
      .describe("Expected aud claim (patient-api's audience in both services: the token is the same)."),
    algorithms: z
      .array(z.enum(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']))
      .min(1)
      .default(['ES256'])
      .describe('Accepted signature algorithms; asymmetric only, never none or HS*.'),
    clockToleranceSeconds: z
      .number()
      .int()
      .min(0)
      .max(300)
      .default(30)
      .describe('Clock skew tolerated on exp and nbf.'),
  })
  .prefault({})
  .refine((a) => (a.jwksFile === '') !== (a.jwksUrl === ''), {
    message: 'set exactly one of auth.jwksFile and auth.jwksUrl',
    path: ['jwksFile'],
  })
  .describe(
    'Bearer token (JWT) verification; both services verify the same tokens. Set exactly one of jwksFile and jwksUrl.',
  );

/**
 * Transport security of the api → rpc connection. `mtls`: each side presents its workload
 * certificate (URI SAN = SPIFFE id) and verifies the other's against `caFile`; the files are
 * re-read every `refreshIntervalMs`, so a rotated certificate applies without a restart.
 * `mesh`: a sidecar mesh (Istio, Linkerd) provides mTLS, the app speaks plaintext to it.
 * `plaintext`: development only; refused in production.
 */
export const tlsBaseSchema = z.strictObject({
  mode: z
    .enum(['mtls', 'mesh', 'plaintext'])
    .default('plaintext')
    .describe('mtls (in-app mutual TLS), mesh (a sidecar mesh does mTLS) or plaintext (development only).'),
  certFile: z.string().default('').describe("PEM certificate chain of this workload (cert-manager's tls.crt)."),
  keyFile: z.string().default('').describe('PEM private key (tls.key).'),
  caFile: z
    .string()
    .default('')
    .describe('PEM trust bundle (ca.crt): the CAs peers may chain to; may hold several during a CA rotation.'),
  refreshIntervalMs: z
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(5000)
    .describe('How often the certificate files are re-read (rotation without a restart).'),
});

/** A SPIFFE id, as the URI SAN of a workload certificate. */
export const spiffeIdSchema = z.string().regex(/^spiffe:\/\/[^/]+\/.+/, 'must be a spiffe:// id');

/**
 * Checks shared by both services' `tls` sections: in mtls mode the files and the peer
 * identities (`peers`: the key of the list, and what it must name) are set; never plaintext
 * in production.
 */
export function refineTls<K extends string>(
  tls: z.infer<typeof tlsBaseSchema> & Record<K, readonly string[]>,
  environment: 'development' | 'production',
  ctx: z.RefinementCtx,
  peers: { key: K; names: string },
): void {
  if (tls.mode === 'mtls') {
    for (const key of ['certFile', 'keyFile', 'caFile'] as const)
      if (!tls[key]) ctx.addIssue({ code: 'custom', path: ['tls', key], message: `required when tls.mode is mtls` });
    if (tls[peers.key].length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['tls', peers.key],
        message: `required when tls.mode is mtls: ${peers.names}`,
      });
  }
  if (tls.mode === 'plaintext' && environment === 'production')
    ctx.addIssue({
      code: 'custom',
      path: ['tls', 'mode'],
      message: 'plaintext is refused in production: use mtls (or mesh when a sidecar mesh provides mTLS)',
    });
}

export type AuthConfig = z.infer<typeof authSchema>;
export type TlsBaseConfig = z.infer<typeof tlsBaseSchema>;
export type LogConfig = z.infer<typeof logSchema>;
export type AdminConfig = z.infer<ReturnType<typeof adminSchema>>;
export type LifecycleConfig = z.infer<typeof lifecycleSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
