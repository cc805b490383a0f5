// CPU time of processes from /proc (Linux): where a scenario's work went, per process.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const TICKS = 100;

/** Fields of /proc/<pid>/stat after the command name: [0] is field 3 (state), [1] ppid, [11] utime … */
function statFields(pid: number | undefined): string[] | undefined {
  if (pid === undefined) return undefined;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds a process has used so far (0 once it is gone). */
export function cpuSeconds(pid: number | undefined): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / TICKS : 0;
}

/** The same plus the CPU of its children that have exited and been waited for (cutime + cstime). */
function cpuSecondsWithReaped(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS : 0;
}

/** Direct children of `pid`: /proc/<pid>/task/<tid>/children where the kernel has it, else a scan of ppids. */
export function childPids(pid: number): number[] {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    const kids = tasks.flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
    return kids;
  } catch {
    // No CONFIG_PROC_CHILDREN (or the process is gone): scan every process's ppid.
  }
  const kids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (Number(statFields(Number(entry))?.[1]) === pid) kids.push(Number(entry));
  }
  return kids;
}

export interface CpuSource {
  /** CPU seconds used so far; differences over an interval are what the interval cost. */
  cpuSeconds(): number;
  pids(): number[];
}

/**
 * One PostgreSQL server's own processes: the postmaster (its pid is the first line of
 * postmaster.pid in the data directory) and its children (backends, checkpointer, WAL
 * writer …). Works as whichever user runs the server, root or not. Backends that exit in
 * the meantime are still counted: once the postmaster has reaped them their CPU is in its
 * cutime/cstime, which this adds.
 */
export async function postgresServer(
  superuserUrl: string,
): Promise<CpuSource & { postmasterPid: number; dataDir: string }> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  let dataDir: string;
  try {
    dataDir = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
  } finally {
    await client.end();
  }
  const postmasterPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(postmasterPid) || postmasterPid <= 0) throw new Error(`no postmaster pid in ${dataDir}`);
  const pids = () => [postmasterPid, ...childPids(postmasterPid)];
  return {
    postmasterPid,
    dataDir,
    pids,
    cpuSeconds: () =>
      cpuSecondsWithReaped(postmasterPid) + childPids(postmasterPid).reduce((sum, pid) => sum + cpuSeconds(pid), 0),
  };
}

/** A group of processes: a function listing their pids (read before and after), or a CpuSource. */
export type CpuGroup = (() => Array<number | undefined>) | CpuSource;

const groupSeconds = (group: CpuGroup): number =>
  typeof group === 'function' ? group().reduce<number>((sum, pid) => sum + cpuSeconds(pid), 0) : group.cpuSeconds();

/** Runs `run` and returns the CPU seconds each group of processes used meanwhile (and this process: `loadgen`). */
export async function measureCpu<T>(
  groups: Record<string, CpuGroup>,
  run: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(groups).map(([name, group]) => [name, groupSeconds(group)]));
  const self0 = process.cpuUsage();
  const result = await run();
  const self = process.cpuUsage(self0);
  const cpu = Object.fromEntries(
    Object.entries(groups).map(([name, group]) => [name, groupSeconds(group) - before[name]!]),
  );
  cpu['loadgen'] = (self.user + self.system) / 1e6;
  return { result, cpu };
}
