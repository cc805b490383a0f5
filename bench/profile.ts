// CPU profile of the read path: both services under `--cpu-prof` on PostgreSQL, a fixed
// load, then the top functions by self time per service. The .cpuprofile files (under
// .data/profiles) open in Chrome DevTools or speedscope as flame graphs.
//
//   npm exec -- node bench/profile.ts [--duration 10] [--tracing]
import { readdirSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startTlsPostgres } from './lib/tlsPostgres.ts';
import { apiEnv, ROOT, rpcEnv, startService } from '../tests/support/services.ts';
import { createTestKeys } from '../tests/support/tokens.ts';
import { runLoad } from './lib/load.ts';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '10' }, tracing: { type: 'boolean', default: false } },
});
const dir = join(ROOT, '.data/profiles');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const { postgres, rpcEnv: dbTls } = await startTlsPostgres({ fsync: 'on' });
const keys = await createTestKeys();
const token = await keys.token();
const seed = await startService('patient-rpc', {
  env: rpcEnv(keys.jwksFile, { PM_DATABASE__URL: postgres.url, PM_SEED__PATIENTS: '200' }),
});
await seed.stop();
const otel: Record<string, string> = values.tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } : {};
const prod = { PM_SERVICE__ENVIRONMENT: 'production' };
const rpc = await startService('patient-rpc', {
  env: rpcEnv(keys.jwksFile, { ...prod, ...dbTls, ...otel, PM_DATABASE__URL: postgres.url }),
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-name=patient-rpc.cpuprofile'],
});
const limits = { PM_RATE_LIMIT__ENABLED: 'false' };
const api = await startService('patient-api', {
  env: apiEnv(`static:///127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, { ...prod, ...otel, ...limits }),
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-name=patient-api.cpuprofile'],
});
const url = `http://127.0.0.1:${api.ports.http}`;
const page = (await (
  await fetch(`${url}/api/v1/patients?limit=100`, { headers: { authorization: `Bearer ${token}` } })
).json()) as {
  items: Array<{ id: string }>;
};
const result = await runLoad({
  url,
  connections: 32,
  durationS: Number(values.duration),
  headers: { authorization: `Bearer ${token}` },
  paths: page.items.map((p) => `/api/v1/patients/${p.id}`),
});
process.stdout.write(
  `load: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, failed ${result.non2xx}\n`,
);
await api.stop();
await rpc.stop();
await postgres.stop();

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
for (const file of readdirSync(dir)) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[]; samples: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const f = byId.get(id)!.callFrame;
    const where = f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/services\//, 'services/');
    const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  process.stdout.write(`\n${file}: top self time of ${total} samples\n`);
  for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25))
    process.stdout.write(`  ${((n / total) * 100).toFixed(1).padStart(5)} %  ${key}\n`);
}
