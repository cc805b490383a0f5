// A throwaway PostgreSQL server from Debian's binaries, on loopback, for tests and benchmarks.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

export interface PostgresServer {
  /** URL of the `postgres` database as superuser. */
  url: string;
  stop(): Promise<void>;
}

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

/**
 * Benchmarks run against PostgreSQL set up like a small dedicated server: durable commits
 * (fsync, synchronous_commit), shared_buffers and WAL sized for a million-row import.
 * Tests keep the defaults below (fsync off, small buffers): they check behaviour, not speed.
 */
export const BENCH_POSTGRES_SETTINGS: Readonly<Record<string, string>> = {
  fsync: 'on',
  synchronous_commit: 'on',
  shared_buffers: '512MB',
  max_wal_size: '4GB',
  checkpoint_timeout: '15min',
};

export interface StartPostgresOptions {
  /**
   * Serve TLS (`ssl=on`) with this certificate and key (PEM), and accept TCP connections
   * only over TLS (`hostssl` in pg_hba.conf): a plaintext client is refused, unless
   * `allowPlaintext` (benchmarks: their own setup clients stay plaintext).
   */
  tls?: { certPem: string; keyPem: string; allowPlaintext?: boolean };
}

/** postgres refuses a key file that others can read or that it does not own. */
function writeServerKeyPair(dir: string, { certPem, keyPem }: { certPem: string; keyPem: string }): string[] {
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  writeFileSync(cert, certPem, { mode: 0o644 });
  writeFileSync(key, keyPem, { mode: 0o600 });
  if (process.getuid?.() === 0) {
    const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' })));
    for (const file of [cert, key]) chownSync(file, uid!, gid!);
  }
  return ['-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`];
}

export async function startPostgres(
  settings: Record<string, string> = {},
  { tls }: StartPostgresOptions = {},
): Promise<PostgresServer> {
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
  // Loopback is 127.0.0.0/8, so a test can reach the server by an address its certificate does not name.
  if (tls && !tls.allowPlaintext)
    writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.0/8 trust\n');
  const tlsArgs = tls ? writeServerKeyPair(dir, tls) : [];
  const port = await freePort();
  const options = { fsync: 'off', max_connections: '200', shared_buffers: '64MB', ...settings };
  const [cmd, args] = asPostgres(join(BIN, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    ...tlsArgs,
    ...Object.entries(options).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ]);
  const server = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    server.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('ready to accept connections')) resolve();
    });
    server.once('exit', (code) => reject(new Error(`postgres exited ${code}: ${stderr}`)));
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      // runuser does not forward signals to postgres: stop the server itself.
      const exited = new Promise((resolve) => server.once('exit', resolve));
      const [stopCmd, stopArgs] = asPostgres(join(BIN, 'pg_ctl'), ['-D', data, 'stop', '-m', 'fast', '-w', '-t', '30']);
      execFileSync(stopCmd, stopArgs, { stdio: 'ignore' });
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
