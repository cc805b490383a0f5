// `make dev`: both services on the embedded store, then a ready-to-paste curl line.
// Ctrl-C drains and stops both.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const node = process.execPath;

function start(name: string): ChildProcess {
  const child = spawn(
    node,
    ['--enable-source-maps', `services/${name}/dist/main.js`, '--config', `services/${name}/config/dev.yaml`],
    // Own process group: a terminal's Ctrl-C reaches this script only, which then sends each
    // service one SIGTERM (a second signal would make a service skip its drain).
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: process.env, detached: true },
  );
  child.once('exit', (code, signal) => {
    process.stderr.write(`${name} exited (${signal ?? code})\n`);
    stopAll();
    process.exitCode = code ?? 0;
  });
  return child;
}

async function waitReady(name: string, url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not become ready (${url})`);
}

const children: ChildProcess[] = [];
let stopping = false;
/** Drains both services: one SIGTERM each, however many signals or exits lead here. */
function stopAll(): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
// Detached services do not die with this script: never leave them behind.
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

// The dev signing key and the dev workload certificates, made on first run.
execFileSync(node, ['scripts/dev-token.ts', '--init'], { cwd: root, stdio: 'ignore' });
execFileSync(node, ['scripts/dev-certs.ts'], { cwd: root, stdio: 'ignore' });
execFileSync(node, ['scripts/audit-key.ts', '--out', '.dev/audit-signing-key.pem'], { cwd: root, stdio: 'ignore' });
const rpc = start('patient-rpc');
children.push(rpc);
await waitReady('patient-rpc', 'http://127.0.0.1:9091/readyz', rpc);
const api = start('patient-api');
children.push(api);
await waitReady('patient-api', 'http://127.0.0.1:9090/readyz', api);

const token = execFileSync(node, ['scripts/dev-token.ts', '--role', 'clinician,auditor', '--ttl', '86400'], {
  cwd: root,
})
  .toString()
  .trim();
const page = (await (
  await fetch('http://127.0.0.1:8080/api/v1/patients?limit=1', { headers: { authorization: `Bearer ${token}` } })
).json()) as { items: Array<{ id: string }> };
const id = page.items[0]?.id ?? '<patient-id>';
process.stdout.write(
  [
    '',
    'patient-mesh is running: patient-api http://127.0.0.1:8080 (admin :9090), patient-rpc 127.0.0.1:50051 (admin :9091)',
    'patient-api → patient-rpc is mTLS with the dev certificates in .dev/pki (only patient-api may call patient-rpc).',
    `TOKEN=${token}`,
    `curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/patients/${id}`,
    'API docs: http://127.0.0.1:8080/docs (paste the token under Authorize to try the calls).',
    'More: GET /openapi.json; tokens for other roles: node scripts/dev-token.ts --role auditor. Ctrl-C stops both.',
    '',
  ].join('\n'),
);
