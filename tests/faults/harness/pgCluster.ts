// A PostgreSQL cluster of its own for one fault row: initdb into a directory, its own port,
// and the operator's controls (pg_ctl restart and promote, SIGKILL of the postmaster,
// pg_basebackup for a streaming standby). Debian's binaries; as root they run as `postgres`.
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { waitFor } from './waitFor.ts';

const BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

export const isRoot = process.getuid?.() === 0;

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args]] : [join(BIN, cmd), args];
}

async function pgBin(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [c, a] = asPostgres(cmd, args);
  try {
    const { stdout } = await run(c, a, { timeout: timeoutMs, encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A directory the `postgres` user may write in (mkdtemp makes it 0700 and root's). */
export function postgresDir(prefix: string, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  chmodSync(dir, 0o777);
  return dir;
}

export interface ClusterOptions {
  /** Extra postgresql.conf settings, kept across restarts. */
  settings?: Record<string, string>;
  /** Where the data directory goes (e.g. a tmpfs mount); a fresh temp dir by default. */
  parent?: string;
  /** Extra pg_hba.conf lines (e.g. trust from a namespace's subnet). */
  hba?: string[];
}

export class PgCluster {
  private constructor(
    readonly dir: string,
    readonly data: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get log(): string {
    return join(this.dir, 'postgres.log');
  }

  /** initdb and start; settings go into postgresql.conf so that restarts keep them. */
  static async create(options: ClusterOptions = {}): Promise<PgCluster> {
    const dir = postgresDir('pm-fault-pg-', options.parent);
    const data = join(dir, 'data');
    await pgBin('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const cluster = new PgCluster(dir, data, await freePort());
    cluster.#configure({
      fsync: 'off',
      max_connections: '100',
      shared_buffers: '32MB',
      wal_level: 'replica',
      max_wal_senders: '4',
      ...options.settings,
    });
    appendFileSync(
      join(data, 'pg_hba.conf'),
      ['host replication all 127.0.0.1/32 trust', ...(options.hba ?? [])].map((l) => `${l}\n`).join(''),
    );
    await cluster.start();
    return cluster;
  }

  /** A streaming standby of `primary`: pg_basebackup -R into a new directory, then started. */
  static async standbyOf(primary: PgCluster): Promise<PgCluster> {
    const dir = postgresDir('pm-fault-standby-');
    const data = join(dir, 'data');
    await pgBin('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      data,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
    ]);
    const standby = new PgCluster(dir, data, await freePort());
    standby.#configure({});
    await standby.start();
    return standby;
  }

  #configure(settings: Record<string, string>): void {
    const all = {
      port: String(this.port),
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${this.dir}'`,
      ...settings,
    };
    appendFileSync(
      join(this.data, 'postgresql.conf'),
      `\n${Object.entries(all)
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n')}\n`,
    );
  }

  async start(): Promise<void> {
    await pgBin('pg_ctl', ['-D', this.data, '-l', this.log, '-w', '-t', '60', 'start']);
  }

  async restartFast(): Promise<void> {
    await pgBin('pg_ctl', ['-D', this.data, '-l', this.log, '-w', '-t', '60', '-m', 'fast', 'restart']);
  }

  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await pgBin('pg_ctl', ['-D', this.data, '-w', '-t', '60', '-m', mode, 'stop']);
  }

  async promote(): Promise<void> {
    await pgBin('pg_ctl', ['-D', this.data, '-w', '-t', '60', 'promote']);
  }

  postmasterPid(): number | undefined {
    const file = join(this.data, 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    return Number(readFileSync(file, 'utf8').split('\n')[0]);
  }

  /**
   * SIGKILL the postmaster, as the kernel's OOM killer or a node failure would, and wait
   * until its backends have noticed and exited (until then the shared memory is in use and
   * a new postmaster refuses to start).
   */
  async crash(): Promise<void> {
    const pid = this.postmasterPid();
    if (!pid) throw new Error('postgres is not running');
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
    process.kill(pid, 'SIGKILL');
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor('the killed postmaster and its backends to exit', () => ![pid, ...children].some(alive), 30_000);
  }

  async isInRecovery(): Promise<boolean> {
    return this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r').then((rows) => rows[0]!.r);
  }

  /** One statement on a fresh connection (the cluster may have restarted since the last). */
  async query<R = Record<string, unknown>>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<R[]> {
    const url = new URL(this.url);
    url.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 10_000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as R[];
    } finally {
      await client.end().catch(() => {});
    }
  }

  async createDatabase(name: string): Promise<string> {
    await this.query(`CREATE DATABASE ${name}`);
    const url = new URL(this.url);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** Stops the server if it runs (immediate: nothing to keep) and removes its directory. */
  async destroy(): Promise<void> {
    if (this.postmasterPid()) await this.stop('immediate').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}
