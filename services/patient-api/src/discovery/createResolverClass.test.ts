import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClient, tally, warm } from './testing/manualClient.js';
import { startWhoServers, stopWhoServers, type WhoServer } from './testing/whoServers.js';

// Three "pods" on 127.0.0.2-4, one port, and one client balancing over them.
let pods: WhoServer[];
let port: number;
beforeAll(async () => {
  ({ servers: pods, port } = await startWhoServers(['127.0.0.2', '127.0.0.3', '127.0.0.4']));
});
afterAll(() => stopWhoServers(pods));

const at = (...hosts: string[]) => hosts.map((host) => ({ host, port }));
const ALL = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

describe('createResolverClass: balancing over real grpc-js servers', () => {
  it('spreads calls round robin over every endpoint', async () => {
    const c = manualClient(at(...ALL));
    expect((await warm(() => c.who(), ALL)).seen).toEqual(ALL);
    expect(await tally(() => c.who(), 30)).toEqual({
      '127.0.0.2': 10,
      '127.0.0.3': 10,
      '127.0.0.4': 10,
    });
    expect(c.counts).toEqual([3]);
    c.close();
  });

  it('sends new calls to an added endpoint at once', async () => {
    const c = manualClient(at('127.0.0.2', '127.0.0.3'));
    await warm(() => c.who(), ['127.0.0.2', '127.0.0.3']);
    const added = c.nextUpdate();
    c.manual.set(at(...ALL));
    await added;
    // Only the new subchannel's connection handshake stands between the update and its first call.
    const { seen, calls } = await warm(() => c.who(), ALL);
    expect(seen).toEqual(ALL);
    expect(calls).toBeLessThan(50);
    expect(await tally(() => c.who(), 30)).toEqual({
      '127.0.0.2': 10,
      '127.0.0.3': 10,
      '127.0.0.4': 10,
    });
    expect(c.counts).toEqual([2, 3]);
    c.close();
  });

  it('gives a removed endpoint no new calls while its in-flight calls complete; it drains with 0 failures', async () => {
    const c = manualClient(at(...ALL));
    await warm(() => c.who(), ALL);
    const leaving = pods[2]!;

    const held = Array.from({ length: 12 }, () => c.who({ hold: true }, 10_000));
    await Promise.all(pods.map((p) => p.whenHolding(4)));
    const callsBefore = leaving.calls;
    const removed = c.nextUpdate();
    c.manual.set(at('127.0.0.2', '127.0.0.3'));
    await removed;
    // Like a pod on SIGTERM: GOAWAY to new streams, in-flight ones run to their end.
    const drained = new Promise<Error | undefined>((resolve) => leaving.server.tryShutdown(resolve));

    await warm(() => c.who(), ['127.0.0.2', '127.0.0.3']);
    expect(await tally(() => c.who(), 30)).toEqual({ '127.0.0.2': 15, '127.0.0.3': 15 });
    expect(leaving.calls).toBe(callsBefore);
    pods.forEach((p) => p.release());
    const answers = await Promise.allSettled(held);
    expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
    expect(answers.filter((a) => a.status === 'fulfilled' && a.value === leaving.host)).toHaveLength(4);
    expect(await drained).toBeUndefined();
    c.close();
  });
});
