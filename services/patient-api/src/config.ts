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

/** patient-api's config file (YAML) and `PM_*` overrides; chart values map 1:1. */
export const apiConfigSchema = z
  .strictObject({
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
    auth: authSchema,
    resilience: z
      .strictObject({
        /** Per-attempt timeout (innermost policy); the request budget still bounds the whole call. */
        attemptTimeoutMs: z.number().int().min(10).max(60_000).default(2000),
        retry: z
          .strictObject({
            /** Retries after the first call (cockatiel's maxAttempts): 2 means at most 3 calls. */
            maxRetries: z.number().int().min(0).max(10).default(2),
            initialDelayMs: z.number().int().min(1).max(10_000).default(25),
            maxDelayMs: z.number().int().min(1).max(30_000).default(250),
            /** Retries allowed per call made (0.1: retries stay under ~10 % of calls). */
            budgetRatio: z.number().min(0).max(1).default(0.1),
            /** Retries always allowed per second, so low-traffic clients can retry. */
            budgetMinPerSecond: z.number().min(0).max(1000).default(5),
          })
          .prefault({}),
        breaker: z
          .strictObject({
            /** Sampling window. */
            windowMs: z.number().int().min(100).max(600_000).default(5000),
            /** Requests needed in the window before the breaker may open. */
            minimumRequests: z.number().int().min(1).max(1_000_000).default(100),
            /** Failure ratio that opens the breaker. */
            failureRatio: z.number().gt(0).max(1).default(0.5),
            /** Open time before one half-open probe is let through. */
            halfOpenAfterMs: z.number().int().min(100).max(600_000).default(5000),
          })
          .prefault({}),
        bulkhead: z
          .strictObject({
            /** Concurrent calls per method, retries included. */
            maxConcurrent: z.number().int().min(1).max(100_000).default(256),
            /** Calls waiting for a slot; beyond it: 503. */
            queue: z.number().int().min(0).max(100_000).default(256),
          })
          .prefault({}),
      })
      .prefault({}),
    rateLimit: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Per JWT subject: burst, then a steady rate. */
        subject: z
          .strictObject({ burst: z.number().int().min(1).default(100), perSecond: z.number().positive().default(50) })
          .prefault({}),
        /** Whole process, before authentication. */
        global: z
          .strictObject({
            burst: z.number().int().min(1).default(5000),
            perSecond: z.number().positive().default(2500),
          })
          .prefault({}),
      })
      .prefault({}),
    shedding: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Event-loop delay (p99 over the last sample) past which new requests get 503 at once. */
        maxEventLoopDelayMs: z.number().int().min(1).max(10_000).default(100),
        sampleIntervalMs: z.number().int().min(10).max(10_000).default(250),
      })
      .prefault({}),
    rpc: z
      .strictObject({
        /**
         * Where patient-rpc runs: `host:port`, `static:///h1:p,h2:p`, `dns:///name:port`,
         * or `kubernetes:///service.namespace:port` (EndpointSlice watch).
         */
        target: z.string().min(1).default('127.0.0.1:50051'),
      })
      .prefault({}),
    tls: tlsBaseSchema
      .extend({
        /**
         * Identities (URI SAN, a SPIFFE id) patient-rpc may present. Checked instead of the host
         * name: a certificate from the same CA for another workload is refused, and the token is
         * never sent to it.
         */
        serverIdentities: z.array(z.string().regex(/^spiffe:\/\/[^/]+\/.+/, 'must be a spiffe:// id')).default([]),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    refineTls(c.tls, c.service.environment, ctx, { key: 'serverIdentities', names: "patient-rpc's SPIFFE id" });
  });

export type ApiConfig = z.infer<typeof apiConfigSchema>;
