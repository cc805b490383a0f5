import { experimental } from '@grpc/grpc-js';
import { createManualSource } from '../createManualSource.js';
import { createResolverClass } from '../createResolverClass.js';
import { whoClient } from './whoServers.js';

let schemes = 0;

/**
 * A round-robin client whose channel resolves through a fresh scheme fed by a manual
 * source: the test pushes endpoint lists, `nextUpdate()` resolves when the next one has
 * reached the channel, `counts` holds every count passed to `onEndpoints`.
 */
export function manualClient(initial?: readonly { host: string; port: number }[]) {
  const manual = createManualSource(initial);
  const counts: number[] = [];
  let landed: Array<() => void> = [];
  const onEndpoints = (count: number): void => {
    counts.push(count);
    const waiting = landed;
    landed = [];
    waiting.forEach((resolve) => resolve());
  };
  const scheme = `manual-${++schemes}`;
  experimental.registerResolver(scheme, createResolverClass(manual.factory, { onEndpoints }));
  const nextUpdate = (): Promise<void> => new Promise((resolve) => landed.push(resolve));
  return {
    manual,
    counts,
    nextUpdate,
    target: `${scheme}:///who`,
    ...whoClient(`${scheme}:///who`),
  };
}

/** Which host answered each of `n` sequential calls, counted. */
export async function tally(call: () => Promise<string>, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await call();
    seen[name] = (seen[name] ?? 0) + 1;
  }
  return seen;
}

/**
 * Calls until every host in `hosts` has answered once (their subchannels are READY), at
 * most 200 calls. Returns the hosts seen and the calls made.
 */
export async function warm(call: () => Promise<string>, hosts: string[]): Promise<{ seen: string[]; calls: number }> {
  const seen = new Set<string>();
  let calls = 0;
  while (calls < 200 && hosts.some((h) => !seen.has(h))) {
    seen.add(await call());
    calls += 1;
  }
  return { seen: [...seen].sort(), calls };
}
