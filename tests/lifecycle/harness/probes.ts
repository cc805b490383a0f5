// Readiness probes as the kubelet runs them: an HTTP GET (2xx/3xx is success) or a gRPC
// health check (`grpc.health.v1.Health/Check`, SERVING is success), each with a timeout.
import { Client, credentials, Metadata } from '@grpc/grpc-js';

export type Probe = { run(): Promise<boolean>; close(): void };

export function httpProbe(url: string, timeoutMs: number): Probe {
  return {
    async run() {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer();
        return res.status >= 200 && res.status < 400;
      } catch {
        return false;
      }
    },
    close() {},
  };
}

/** HealthCheckRequest { string service = 1; } encoded by hand (no proto needed for one field). */
function encodeRequest(service: string): Buffer {
  const name = Buffer.from(service);
  return service === '' ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, name.length]), name]);
}

/** HealthCheckResponse { ServingStatus status = 1; }: SERVING is 1. */
function decodeStatus(bytes: Buffer): number {
  return bytes.length >= 2 && bytes[0] === 0x08 ? bytes[1]! : 0;
}

export function grpcProbe(address: string, service: string, timeoutMs: number): Probe {
  const client = new Client(address, credentials.createInsecure());
  return {
    run: () =>
      new Promise<boolean>((resolve) => {
        client.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          encodeRequest,
          decodeStatus,
          service,
          new Metadata(),
          { deadline: Date.now() + timeoutMs },
          (error, status) => resolve(!error && status === 1),
        );
      }),
    close: () => client.close(),
  };
}
