import type { V1Endpoint } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInvalidTargetError } from './InvalidTargetError.js';
import { registerKubernetesResolver } from './registerKubernetesResolver.js';
import { registerDiscoveryResolvers } from './registerDiscoveryResolvers.js';
import { startFakeKubeApi, type FakeKubeApi } from './testing/fakeKubeApiServer.js';
import { startWhoServers, stopWhoServers, whoClient, type WhoServer } from './testing/whoServers.js';

let pods: WhoServer[];
let port: number;
let local: WhoServer[];
let localPort: number;
let api: FakeKubeApi;

beforeAll(async () => {
  ({ servers: pods, port } = await startWhoServers(['127.0.0.2', '127.0.0.3', '127.0.0.4']));
  ({ servers: local, port: localPort } = await startWhoServers(['127.0.0.1']));
  api = await startFakeKubeApi('mesh');
});
afterAll(async () => {
  stopWhoServers([...pods, ...local]);
  await api.close();
});

/** Registers with an endpoint-count hook; `next()` resolves with the count of the next list that reaches a channel. */
function register() {
  const counts: number[] = [];
  let waiters: Array<(count: number) => void> = [];
  const deps = {
    kubeConfig: api.kubeConfig(),
    kubernetes: { restartInitialMs: 20 },
    onEndpoints: (count: number) => {
      counts.push(count);
      const ready = waiters;
      waiters = [];
      ready.forEach((resolve) => resolve(count));
    },
  };
  registerDiscoveryResolvers(deps);
  registerKubernetesResolver(deps);
  return { counts, next: (): Promise<number> => new Promise((resolve) => waiters.push(resolve)) };
}

/** Hosts that answered 20 calls, calling on (at most 200) until all of `expected` have. */
async function names(call: () => Promise<string>, expected: string[]): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < 200 && (i < 20 || expected.some((host) => !seen.has(host))); i++) seen.add(await call());
  return [...seen].sort();
}

const endpoint = (address: string, conditions: V1Endpoint['conditions'] = { ready: true }): V1Endpoint => ({
  addresses: [address],
  conditions,
});
const slice = (endpoints: V1Endpoint[]) => ({
  addressType: 'IPv4',
  metadata: { name: 'patient-rpc-abc', labels: { 'kubernetes.io/service-name': 'patient-rpc' } },
  endpoints,
  ports: [{ name: 'grpc', port, protocol: 'TCP' }],
});

describe('registerDiscoveryResolvers', () => {
  it('serves static:/// targets', async () => {
    const hook = register();
    const c = whoClient(`static:///127.0.0.2:${port},127.0.0.3:${port}`);
    expect(await names(() => c.who(), ['127.0.0.2', '127.0.0.3'])).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(hook.counts).toEqual([2]);
    c.close();
  });

  it('serves dns-poll:/// targets', async () => {
    register();
    const c = whoClient(`dns-poll:///localhost:${localPort}?intervalMs=1000`);
    expect(await names(() => c.who(), ['127.0.0.1'])).toEqual(['127.0.0.1']);
    c.close();
  });

  it('serves kubernetes:/// targets from EndpointSlices, dropping terminating pods', async () => {
    api.apply(slice([endpoint('127.0.0.2'), endpoint('127.0.0.3'), endpoint('127.0.0.4', { ready: false })]));
    const hook = register();
    const c = whoClient('kubernetes:///patient-rpc:grpc'); // namespace from the kubeconfig context
    expect(await names(() => c.who(), ['127.0.0.2', '127.0.0.3'])).toEqual(['127.0.0.2', '127.0.0.3']);

    const updated = hook.next();
    api.apply(
      slice([endpoint('127.0.0.2', { ready: false, terminating: true }), endpoint('127.0.0.3'), endpoint('127.0.0.4')]),
    );
    expect(await updated).toBe(2);
    const before = pods[0]!.calls;
    expect(await names(() => c.who(), ['127.0.0.3', '127.0.0.4'])).toEqual(['127.0.0.3', '127.0.0.4']);
    expect(pods[0]!.calls).toBe(before);
    c.close();
    await api.idle();
  });

  it('rejects a malformed target when the client is created', () => {
    register();
    let thrown: unknown;
    try {
      whoClient('kubernetes:///patient-rpc.mesh');
    } catch (e) {
      thrown = e;
    }
    expect(isInvalidTargetError(thrown)).toBe(true);
  });
});
