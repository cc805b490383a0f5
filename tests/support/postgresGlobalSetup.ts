// Starts one real PostgreSQL server (Debian's binaries) for the integration tier and
// hands its URL to the tests; each suite creates its own database on it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

/** initdb and postgres refuse to run as root: run them as `postgres` there. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(join(BIN, 'postgres')))
    throw new Error(
      `PostgreSQL binaries not found in ${BIN}: run scripts/ensure-test-deps.sh (installs postgresql-15)`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'pm-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = asPostgres(join(BIN, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  const [cmd, args] = asPostgres(join(BIN, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'max_connections=200',
    '-c',
    'shared_buffers=64MB',
  ]);
  const server = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (stderr.includes('ready to accept connections')) resolve();
    };
    server.stderr.on('data', onData);
    server.once('exit', (code) => reject(new Error(`postgres exited ${code}: ${stderr}`)));
  });
  project.provide('postgresUrl', `postgres://postgres@127.0.0.1:${port}/postgres`);
  return async () => {
    // runuser does not forward signals to postgres: stop the server itself.
    const [stopCmd, stopArgs] = asPostgres(join(BIN, 'pg_ctl'), ['-D', data, 'stop', '-m', 'fast', '-w', '-t', '30']);
    const exited = new Promise((resolve) => server.once('exit', resolve));
    execFileSync(stopCmd, stopArgs, { stdio: 'ignore' });
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
}
