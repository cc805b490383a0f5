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
import { apiFaultSettingsSchema } from './faults/EventLoopStall.js';

/** patient-api's config file (YAML) and `PM_*` overrides; chart values map 1:1. */
export const apiConfigSchema = z
  .strictObject({
    service: serviceSchema,
    log: logSchema,
    admin: adminSchema(9090),
    lifecycle: lifecycleSchema,
    http: z
      .strictObject({
        host: z.string().default('0.0.0.0').describe('Bind address.'),
        port: port.default(8080).describe('Port; also the containerPort "http".'),
        bodyLimitBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(1024 * 1024)
          .describe('Largest JSON body accepted; larger gets 413.'),
        requestTimeoutMs: z
          .number()
          .int()
          .min(50)
          .max(60_000)
          .default(2000)
          .describe("Each request's overall budget; it becomes the gRPC deadline."),
        keepAliveTimeoutMs: z
          .number()
          .int()
          .min(1000)
          .max(600_000)
          .default(65_000)
          .describe("HTTP keep-alive timeout; must exceed the load balancer's idle timeout (AWS ALB: 60 s)."),
        bodyIdleTimeoutMs: z
          .number()
          .int()
          .min(100)
          .max(600_000)
          .default(10_000)
          .describe(
            'A request body that sends nothing for this long is cut with 408 (time this side spends not reading, e.g. an import upload waiting for patient-rpc, does not count).',
          ),
        maxConnections: z
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(4096)
          .describe(
            'Open client connections per process; beyond it new connections are closed at once (counted in http_server_rejected_total{reason="connection_limit"}).',
          ),
        docs: z
          .boolean()
          .optional()
          .describe(
            'API docs in a browser: GET /docs (Swagger UI on /openapi.json); unset = on in development, off in production.',
          ),
      })
      .prefault({})
      .describe('HTTP API listener.'),
    auth: authSchema,
    resilience: z
      .strictObject({
        attemptTimeoutMs: z
          .number()
          .int()
          .min(10)
          .max(60_000)
          .default(2000)
          .describe('Per-attempt timeout (innermost policy); the request budget still bounds the whole call.'),
        retry: z
          .strictObject({
            maxRetries: z
              .number()
              .int()
              .min(0)
              .max(10)
              .default(2)
              .describe("Retries after the first call (cockatiel's maxAttempts): 2 means at most 3 calls."),
            initialDelayMs: z
              .number()
              .int()
              .min(1)
              .max(10_000)
              .default(25)
              .describe('First backoff delay (exponential, decorrelated jitter).'),
            maxDelayMs: z.number().int().min(1).max(30_000).default(250).describe('Longest backoff delay.'),
            budgetRatio: z
              .number()
              .min(0)
              .max(1)
              .default(0.1)
              .describe('Retries allowed per call made (0.1: retries stay under about 10 % of calls).'),
            budgetMinPerSecond: z
              .number()
              .min(0)
              .max(1000)
              .default(5)
              .describe('Retries always allowed per second, so low-traffic clients can retry.'),
          })
          .prefault({})
          .describe(
            'Retries of idempotent calls (UNAVAILABLE, RESOURCE_EXHAUSTED, a timed-out attempt) within a retry budget.',
          ),
        breaker: z
          .strictObject({
            windowMs: z.number().int().min(100).max(600_000).default(5000).describe('Sampling window.'),
            minimumRequests: z
              .number()
              .int()
              .min(1)
              .max(1_000_000)
              .default(100)
              .describe('Requests needed in the window before the breaker may open.'),
            failureRatio: z
              .number()
              .gt(0)
              .lt(1)
              .default(0.5)
              .describe('Failure ratio that opens the breaker (more than this share of calls failed), within (0, 1).'),
            halfOpenAfterMs: z
              .number()
              .int()
              .min(100)
              .max(600_000)
              .default(5000)
              .describe('Open time before one half-open probe is let through.'),
          })
          .prefault({})
          .describe('Circuit breaker over all calls to patient-rpc (failure ratio in a sampling window).'),
        bulkhead: z
          .strictObject({
            maxConcurrent: z
              .number()
              .int()
              .min(1)
              .max(100_000)
              .default(256)
              .describe('Concurrent calls per method, retries included.'),
            queue: z
              .number()
              .int()
              .min(0)
              .max(100_000)
              .default(256)
              .describe('Calls waiting for a slot; beyond it: 503.'),
          })
          .prefault({})
          .describe('Bulkhead per method.'),
      })
      .prefault({})
      .describe('cockatiel policies around every patient-rpc call: timeout, retry, breaker, bulkhead.'),
    rateLimit: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Answer 429 with RateLimit headers past the limits.'),
        subject: z
          .strictObject({
            burst: z.number().int().min(1).default(100).describe('Requests allowed at once.'),
            perSecond: z.number().positive().default(50).describe('Steady rate.'),
          })
          .prefault({})
          .describe('Per JWT subject: a burst, then a steady rate.'),
        global: z
          .strictObject({
            burst: z.number().int().min(1).default(5000).describe('Requests allowed at once.'),
            perSecond: z.number().positive().default(2500).describe('Steady rate.'),
          })
          .prefault({})
          .describe('The whole process, before authentication.'),
      })
      .prefault({})
      .describe('Token-bucket rate limits.'),
    shedding: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Shed load when the event loop lags.'),
        maxEventLoopDelayMs: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(100)
          .describe(
            'Event-loop delay (p99 of a probe timer lateness since the last decision) past which new requests get 503 at once.',
          ),
        sampleIntervalMs: z
          .number()
          .int()
          .min(10)
          .max(10_000)
          .default(250)
          .describe('How often the shedding decision is taken over the delays probed since the last one.'),
      })
      .prefault({})
      .describe('Load shedding on event-loop delay (503 with Retry-After).'),
    rpc: z
      .strictObject({
        target: z
          .string()
          .min(1)
          .default('127.0.0.1:50051')
          .describe(
            'Where patient-rpc runs: host:port, static:///h1:p,h2:p, dns:///name:port or kubernetes:///<service>.<namespace>:<port> (EndpointSlice watch of the headless Service).',
          ),
      })
      .prefault({})
      .describe('patient-rpc client.'),
    tls: tlsBaseSchema
      .extend({
        serverIdentities: z
          .array(spiffeIdSchema)
          .default([])
          .describe(
            'SPIFFE ids patient-rpc may present, checked instead of the host name: a certificate of the same CA for another workload is refused, and the token is never sent to it.',
          ),
      })
      .prefault({})
      .describe('Transport security of the connection to patient-rpc.'),
    faults: apiFaultSettingsSchema
      .extend({
        enabled: z.boolean().default(false).describe('Turn fault injection on.'),
        adminToken: z
          .string()
          .default('')
          .describe('Bearer token for PUT /faults on the admin port; empty disables the endpoint.'),
      })
      .prefault({})
      .describe('Fault injection (an event-loop stall) for tests and demos; refused in production.'),
  })
  .superRefine((c, ctx) => {
    refineTls(c.tls, c.service.environment, ctx, { key: 'serverIdentities', names: "patient-rpc's SPIFFE id" });
    if (c.faults.enabled && c.service.environment === 'production')
      ctx.addIssue({
        code: 'custom',
        path: ['faults', 'enabled'],
        message: 'fault injection cannot be enabled when service.environment is production',
      });
  });

export type ApiConfig = z.infer<typeof apiConfigSchema>;
