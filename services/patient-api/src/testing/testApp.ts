// patient-api's express app in-process for unit tests: createApp with fixed config, a real
// token verifier on a test key, real rate limiters (on a clock the test moves) and a fake
// PatientClient, served on 127.0.0.1 on a port of the system's choosing. Log records are kept.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { createHttpMetrics, createLogger, createTokenVerifier, Registry } from '@patient-mesh/runtime';
import type { z } from 'zod';
import { apiConfigSchema } from '../config.js';
import { createApp } from '../createApp.js';
import { guardServer } from '../http/guardServer.js';
import { createLoadShedder } from '../http/loadShedder.js';
import { createRateLimiters } from '../http/rateLimitMiddleware.js';
import { createTestKeys, type TestKeys } from './testKeys.js';
import { fakePatientClient, type FakePatientClient, type FakePatientClientOptions } from './fakePatientClient.js';

export interface TestAppOptions {
  http?: z.input<typeof apiConfigSchema.shape.http>;
  /** Off unless given. */
  rateLimit?: z.input<typeof apiConfigSchema.shape.rateLimit>;
  breakerRetryAfterSeconds?: number;
  rpc?: FakePatientClientOptions;
}

export interface TestApp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  server: Server;
  rpc: FakePatientClient;
  keys: TestKeys;
  registry: Registry;
  logs: Record<string, unknown>[];
  /** The rate limiters' clock (ms); it moves only when a test moves it. */
  clock: { now: number };
  close(): Promise<void>;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const keys = await createTestKeys();
  const registry = new Registry();
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as never);
      done();
    },
  });
  const logger = createLogger({ level: 'info' }, { name: 'patient-api-test', destination });
  const tokens = createTokenVerifier(apiConfigSchema.shape.auth.parse({ jwksFile: keys.jwksFile }), { logger });
  const clock = { now: 0 };
  const rpc = fakePatientClient(options.rpc);
  const shedder = createLoadShedder(apiConfigSchema.shape.shedding.parse({ enabled: false }), registry);
  const http = apiConfigSchema.shape.http.parse(options.http ?? {});
  const app = createApp({
    config: http,
    rateLimiters: createRateLimiters(
      apiConfigSchema.shape.rateLimit.parse(options.rateLimit ?? { enabled: false }),
      registry,
      () => clock.now,
    ),
    shedder,
    breakerRetryAfterSeconds: options.breakerRetryAfterSeconds ?? 5,
    version: '0.0.0-test',
    docs: false,
    tokens,
    rpc,
    metrics: createHttpMetrics(registry),
    logger,
  });
  const server = createServer(app);
  guardServer(server, { maxConnections: http.maxConnections, registry });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    rpc,
    keys,
    registry,
    logs,
    clock,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
      tokens.close();
      shedder.stop();
      keys.remove();
    },
  };
}
