// CPU time of processes from /proc (Linux): where a scenario's work went, per process.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** User + system CPU seconds a process has used so far (0 once it is gone). */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks are 100 Hz
  } catch {
    return 0;
  }
}

/** Every process of the `postgres` user: the benchmark's server and its backends. */
export function postgresPids(): number[] {
  try {
    return execFileSync('pgrep', ['-u', 'postgres'], { encoding: 'utf8' }).trim().split('\n').map(Number);
  } catch {
    return [];
  }
}

/** Runs `run` and returns the CPU seconds each group of processes used meanwhile. */
export async function measureCpu<T>(
  groups: Record<string, () => Array<number | undefined>>,
  run: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number> }> {
  const total = (pids: Array<number | undefined>) => pids.reduce<number>((sum, pid) => sum + cpuSeconds(pid), 0);
  const before = Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, total(pids())]));
  const self0 = process.cpuUsage();
  const result = await run();
  const self = process.cpuUsage(self0);
  const cpu = Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, total(pids()) - before[name]!]));
  cpu['loadgen'] = (self.user + self.system) / 1e6;
  return { result, cpu };
}
