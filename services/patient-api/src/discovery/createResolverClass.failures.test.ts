import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClient, tally, warm } from './testing/manualClient.js';
import { startWhoServers, stopWhoServers, type WhoServer } from './testing/whoServers.js';

let pods: WhoServer[];
let port: number;
beforeAll(async () => {
  ({ servers: pods, port } = await startWhoServers(['127.0.0.2', '127.0.0.3']));
});
afterAll(() => stopWhoServers(pods));

const at = (...hosts: string[]) => hosts.map((host) => ({ host, port }));
const failure = (call: Promise<unknown>): Promise<ServiceError | undefined> =>
  call.then(
    () => undefined,
    (e: ServiceError) => e,
  );

describe('createResolverClass: no endpoints, source errors, lifecycle', () => {
  it('fails calls fast with UNAVAILABLE when no endpoint is ready, and recovers', async () => {
    const c = manualClient(at('127.0.0.2'));
    await warm(() => c.who(), ['127.0.0.2']);
    const emptied = c.nextUpdate();
    c.manual.set([]);
    await emptied;
    const started = Date.now();
    const error = await failure(c.who({}, 5000));
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(error?.details).toContain(`no ready endpoints for ${c.target}`);
    expect(Date.now() - started).toBeLessThan(1000);

    const refilled = c.nextUpdate();
    c.manual.set(at('127.0.0.3'));
    await refilled;
    expect((await warm(() => c.who(), ['127.0.0.3'])).seen).toEqual(['127.0.0.3']);
    expect(c.counts).toEqual([1, 0, 1]);
    c.close();
  });

  it('fails fast when the list is empty from the start', async () => {
    const c = manualClient([]);
    const started = Date.now();
    expect((await failure(c.who({}, 5000)))?.code).toBe(status.UNAVAILABLE);
    expect(Date.now() - started).toBeLessThan(1000);
    c.close();
  });

  it('passes a source error on as UNAVAILABLE only while no list is known', async () => {
    const c = manualClient();
    const pending = c.who({}, 5000);
    c.manual.fail(new Error('forbidden'));
    const error = await failure(pending);
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(error?.details).toContain('forbidden');

    const listed = c.nextUpdate();
    c.manual.set(at('127.0.0.3'));
    await listed;
    await warm(() => c.who(), ['127.0.0.3']);
    c.manual.fail(new Error('watch broke'));
    expect(await tally(() => c.who(), 5)).toEqual({ '127.0.0.3': 5 });
    c.close();
  });

  it('starts its source on first use and stops it when the channel closes', async () => {
    const c = manualClient(at('127.0.0.2'));
    expect(c.manual.running).toBe(0);
    await c.who();
    expect(c.manual.running).toBe(1);
    c.close();
    expect(c.manual.running).toBe(0);
  });
});
