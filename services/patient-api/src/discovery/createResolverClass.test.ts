import { experimental, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualSource, type ManualSource } from './createManualSource.js';
import { createResolverClass } from './createResolverClass.js';
import { startWhoServers, stopWhoServers, whoClient, type WhoServer } from './testing/whoServers.js';

let servers: WhoServer[];
let port: number;
let schemes = 0;

beforeAll(async () => {
  ({ servers, port } = await startWhoServers(['127.0.0.2', '127.0.0.3', '127.0.0.4']));
});
afterAll(() => stopWhoServers(servers));

const at = (...hosts: string[]) => hosts.map((host) => ({ host, port }));

/** A client whose channel resolves through a fresh scheme fed by a manual source. */
function setup(initial?: string[]) {
  const manual: ManualSource = createManualSource(initial && at(...initial));
  const counts: number[] = [];
  let landed: Array<() => void> = [];
  const onEndpoints = (count: number): void => {
    counts.push(count);
    landed.splice(0).forEach((resolve) => resolve());
  };
  const scheme = `manual-${++schemes}`;
  experimental.registerResolver(scheme, createResolverClass(manual.factory, { onEndpoints }));
  /** Resolves when the next endpoint list has reached the channel. */
  const nextUpdate = (): Promise<void> => new Promise((resolve) => landed.push(resolve));
  return { manual, counts, nextUpdate, scheme, ...whoClient(`${scheme}:///who`) };
}

async function tally(call: () => Promise<string>, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await call();
    seen[name] = (seen[name] ?? 0) + 1;
  }
  return seen;
}

/** Calls until every host has answered once (all subchannels READY); bounded. */
async function warm(call: () => Promise<string>, hosts: string[]): Promise<void> {
  const seen = new Set<string>();
  for (let i = 0; i < 200 && hosts.some((h) => !seen.has(h)); i++) seen.add(await call());
  expect([...seen].sort()).toEqual([...hosts].sort());
}

describe('createResolverClass with real grpc-js servers', () => {
  it('spreads calls round robin over every endpoint', async () => {
    const c = setup(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    await warm(() => c.who(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    expect(await tally(() => c.who(), 30)).toEqual({ '127.0.0.2': 10, '127.0.0.3': 10, '127.0.0.4': 10 });
    expect(c.counts).toEqual([3]);
    c.close();
  });

  it('sends new calls to an added endpoint at once', async () => {
    const c = setup(['127.0.0.2', '127.0.0.3']);
    await warm(() => c.who(), ['127.0.0.2', '127.0.0.3']);
    c.manual.set(at('127.0.0.2', '127.0.0.3', '127.0.0.4'));
    await warm(() => c.who(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    expect(await tally(() => c.who(), 30)).toEqual({ '127.0.0.2': 10, '127.0.0.3': 10, '127.0.0.4': 10 });
    expect(c.counts).toEqual([2, 3]);
    c.close();
  });

  it('stops new calls to a removed endpoint while its in-flight calls complete, and it drains with 0 failures', async () => {
    const { servers: pods, port: podPort } = await startWhoServers(['127.0.0.5', '127.0.0.6', '127.0.0.7']);
    const scheme = `manual-${++schemes}`;
    const manual = createManualSource(pods.map((p) => ({ host: p.host, port: podPort })));
    experimental.registerResolver(scheme, createResolverClass(manual.factory));
    const c = whoClient(`${scheme}:///who`);
    await warm(() => c.who(), ['127.0.0.5', '127.0.0.6', '127.0.0.7']);
    const [, , leaving] = pods as [WhoServer, WhoServer, WhoServer];

    const held = Array.from({ length: 12 }, () => c.who({ hold: true }, 10_000));
    await Promise.all(pods.map((p) => p.whenHolding(4)));
    const callsBefore = leaving.calls;
    manual.set(pods.slice(0, 2).map((p) => ({ host: p.host, port: podPort })));
    const drained = new Promise<Error | undefined>((resolve) => leaving.server.tryShutdown(resolve));

    expect(await tally(() => c.who(), 30)).toEqual({ '127.0.0.5': 15, '127.0.0.6': 15 });
    expect(leaving.calls).toBe(callsBefore);
    pods.forEach((p) => p.release());
    const answers = await Promise.allSettled(held);
    expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
    expect(answers.filter((a) => a.status === 'fulfilled' && a.value === '127.0.0.7')).toHaveLength(4);
    expect(await drained).toBeUndefined();
    c.close();
    stopWhoServers(pods);
  });

  it('fails calls fast with UNAVAILABLE when no endpoint is ready, and recovers', async () => {
    const c = setup(['127.0.0.2']);
    await warm(() => c.who(), ['127.0.0.2']);
    const emptied = c.nextUpdate();
    c.manual.set([]);
    await emptied;
    const started = Date.now();
    const error = await c.who({}, 5000).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(error?.details).toContain(`no ready endpoints for ${c.scheme}:///who`);
    expect(Date.now() - started).toBeLessThan(1000);
    const refilled = c.nextUpdate();
    c.manual.set(at('127.0.0.3'));
    await refilled;
    await warm(() => c.who(), ['127.0.0.3']);
    expect(c.counts).toEqual([1, 0, 1]);
    c.close();
  });

  it('fails fast when the list is empty from the start', async () => {
    const c = setup([]);
    const started = Date.now();
    await expect(c.who({}, 5000)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    expect(Date.now() - started).toBeLessThan(1000);
    c.close();
  });

  it('reports a source error as UNAVAILABLE only while no list is known', async () => {
    const c = setup();
    const pending = c.who({}, 5000);
    c.manual.fail(new Error('forbidden'));
    await expect(pending).rejects.toMatchObject({ code: status.UNAVAILABLE, details: expect.stringContaining('forbidden') });
    const listed = c.nextUpdate();
    c.manual.set(at('127.0.0.4'));
    await listed;
    await warm(() => c.who(), ['127.0.0.4']);
    c.manual.fail(new Error('watch broke'));
    expect(await tally(() => c.who(), 5)).toEqual({ '127.0.0.4': 5 });
    c.close();
  });

  it('starts its source on first use and stops it when the channel closes', async () => {
    const c = setup(['127.0.0.2']);
    expect(c.manual.running).toBe(0);
    await c.who();
    expect(c.manual.running).toBe(1);
    c.close();
    expect(c.manual.running).toBe(0);
  });
});
