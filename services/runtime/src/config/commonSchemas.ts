import { z } from 'zod';

/** Config slices shared by both services. Chart values map one-to-one to these keys. */
export const port = z.number().int().min(0).max(65535);

export const serviceSchema = z
  .strictObject({
    /** `production` refuses development-only features such as fault injection. */
    environment: z.enum(['development', 'production']).default('development'),
  })
  .prefault({});

export const logSchema = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .prefault({});

export const adminSchema = (defaultPort: number) =>
  z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: port.default(defaultPort),
    })
    .prefault({});

export const lifecycleSchema = z
  .strictObject({
    /** In-app drain budget after SIGTERM; past it, connections are cut and the exit code is 1. */
    shutdownTimeoutSeconds: z.number().positive().max(3600).default(20),
    /** The pod's preStop sleep; only used to check the budget below. */
    preStopSeconds: z.number().min(0).default(5),
    /** The pod's terminationGracePeriodSeconds; only used to check the budget below. */
    terminationGracePeriodSeconds: z.number().positive().default(30),
    /** While draining, a keep-alive socket idle this long is closed. */
    idleSocketQuietMs: z.number().int().min(0).max(60_000).default(1000),
  })
  .prefault({})
  .refine((l) => l.shutdownTimeoutSeconds + l.preStopSeconds < l.terminationGracePeriodSeconds, {
    message:
      'shutdownTimeoutSeconds + preStopSeconds must be below terminationGracePeriodSeconds, or the kubelet kills the pod mid-drain',
    path: ['shutdownTimeoutSeconds'],
  });

/**
 * End-user bearer tokens (JWT): verified by patient-api at the edge and again by patient-rpc,
 * which takes the actor and roles from the verified claims only.
 */
export const authSchema = z
  .strictObject({
    /** JWKS JSON file (public keys), re-read when it changes (a mounted Secret updated in place); or */
    jwksFile: z.string().default(''),
    /** JWKS URL, fetched and cached by jose. */
    jwksUrl: z.url().or(z.literal('')).default(''),
    /** How often `jwksFile` is checked for changes; bounds how long a rotated key takes to apply. */
    jwksRefreshSeconds: z.number().int().min(1).max(3600).default(5),
    issuer: z.string().min(1).default('patient-mesh'),
    audience: z.string().min(1).default('patient-api'),
    /** Accepted signature algorithms; asymmetric only, never `none` or HS*. */
    algorithms: z
      .array(z.enum(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']))
      .min(1)
      .default(['ES256']),
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
  })
  .prefault({})
  .refine((a) => (a.jwksFile === '') !== (a.jwksUrl === ''), {
    message: 'set exactly one of auth.jwksFile and auth.jwksUrl',
    path: ['jwksFile'],
  });

/**
 * Transport security of the api → rpc connection. `mtls`: each side presents its workload
 * certificate (URI SAN = SPIFFE id) and verifies the other's against `caFile`; the files are
 * re-read every `refreshIntervalMs`, so a rotated certificate applies without a restart.
 * `mesh`: a sidecar mesh (Istio, Linkerd) provides mTLS, the app speaks plaintext to it.
 * `plaintext`: development only; refused in production.
 */
export const tlsBaseSchema = z.strictObject({
  mode: z.enum(['mtls', 'mesh', 'plaintext']).default('plaintext'),
  /** PEM certificate chain of this workload (cert-manager's tls.crt). */
  certFile: z.string().default(''),
  /** PEM private key (tls.key). */
  keyFile: z.string().default(''),
  /** PEM trust bundle: the CAs whose certificates peers may present (ca.crt); may hold several during a CA rotation. */
  caFile: z.string().default(''),
  refreshIntervalMs: z.number().int().min(100).max(600_000).default(5000),
});

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
