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

export type LogConfig = z.infer<typeof logSchema>;
export type AdminConfig = z.infer<ReturnType<typeof adminSchema>>;
export type LifecycleConfig = z.infer<typeof lifecycleSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
