import { adminSchema, lifecycleSchema, logSchema, port, serviceSchema } from '@patient-mesh/runtime';
import { z } from 'zod';

/** patient-api's config file (YAML) and `PM_*` overrides; chart values map 1:1. */
export const apiConfigSchema = z.strictObject({
  service: serviceSchema,
  log: logSchema,
  admin: adminSchema(9090),
  lifecycle: lifecycleSchema,
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: port.default(8080),
      /** Largest JSON body accepted; larger gets 413. */
      bodyLimitBytes: z
        .number()
        .int()
        .min(1024)
        .max(16 * 1024 * 1024)
        .default(1024 * 1024),
      /** Each request's overall budget; it becomes the gRPC deadline. */
      requestTimeoutMs: z.number().int().min(50).max(60_000).default(2000),
      /** Must exceed the load balancer's idle timeout (AWS ALB: 60 s). */
      keepAliveTimeoutMs: z.number().int().min(1000).max(600_000).default(65_000),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** JWKS JSON file (public keys); or */
      jwksFile: z.string().default(''),
      /** JWKS URL, fetched and cached by jose. */
      jwksUrl: z.url().or(z.literal('')).default(''),
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
    }),
  rpc: z
    .strictObject({
      /**
       * Where patient-rpc runs: `host:port`, `static:///h1:p,h2:p`, `dns:///name:port`,
       * or `kubernetes:///service.namespace:port` (EndpointSlice watch).
       */
      target: z.string().min(1).default('127.0.0.1:50051'),
    })
    .prefault({}),
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;
