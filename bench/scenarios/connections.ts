// (i) What a new connection costs: sequential new connections to patient-rpc's gRPC port,
// an mTLS handshake with patient-api's certificate (what every api pod pays once per rpc
// pod after a rolling restart, and per grpc.maxConnectionAgeSeconds) against a TCP
// connect alone to the same port (closed before any TLS byte).
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { testMesh } from '../../tests/support/services.ts';
import type { BenchContext, Scenario } from '../context.ts';
import { fmt } from '../report.ts';

export interface ConnectTimes {
  p50: number;
  p99: number;
}

export interface ConnectionsResult {
  count: number;
  mtls: ConnectTimes;
  tcp: ConnectTimes;
}

/** Times `count` sequential new connections to 127.0.0.1:port (TLS with `tls`, else TCP), ms. */
async function measureConnects(count: number, port: number, tls?: ConnectionOptions): Promise<ConnectTimes> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      const socket: Socket = tls
        ? tlsConnect(
            { host: '127.0.0.1', port, ...tls, ALPNProtocols: ['h2'], checkServerIdentity: () => undefined },
            done,
          )
        : netConnect(port, '127.0.0.1', done);
      function done() {
        socket.setTimeout(0);
        samples.push(performance.now() - t);
        socket.destroy();
        resolve();
      }
      socket.once('error', reject);
      // Bounded: a connection that neither completes nor fails in 10 s is an error.
      socket.setTimeout(10_000, () => socket.destroy(new Error(`connect to 127.0.0.1:${port} timed out`)));
    });
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(count / 2)]!, p99: samples[Math.floor(count * 0.99)]! };
}

export const connectionsScenario: Scenario<ConnectionsResult> = {
  name: 'connections',
  label: '(i) new connection',
  async run(ctx: BenchContext): Promise<ConnectionsResult> {
    const count = ctx.args.quick ? 50 : 300;
    const port = (await ctx.system('pg')).rpc.ports.grpc!;
    return {
      count,
      mtls: await measureConnects(count, port, {
        ca: readFileSync(testMesh.api.caFile),
        cert: readFileSync(testMesh.api.certFile),
        key: readFileSync(testMesh.api.keyFile),
      }),
      tcp: await measureConnects(count, port),
    };
  },
  rows: (r) => [
    [`mTLS handshake × ${r.count}`, '', 'connect', fmt(r.mtls.p50, 2), fmt(r.mtls.p99, 2), '', ''],
    [`TCP connect × ${r.count}`, '', 'connect', fmt(r.tcp.p50, 2), fmt(r.tcp.p99, 2), '', ''],
  ],
};
