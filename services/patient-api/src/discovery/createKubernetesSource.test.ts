import type { V1Endpoint, V1EndpointSlice } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubernetesSource, type KubernetesSourceOptions } from './createKubernetesSource.js';
import { startFakeKubeApi, type FakeKubeApi } from './testing/fakeKubeApiServer.js';
import { recordSource } from './testing/recordSource.js';

const NS = 'mesh';
const ready = (address: string, conditions: V1Endpoint['conditions'] = { ready: true }): V1Endpoint => ({
  addresses: [address],
  conditions,
});
function slice(name: string, endpoints: V1Endpoint[], service = 'patient-rpc'): V1EndpointSlice {
  return {
    addressType: 'IPv4',
    metadata: { name, labels: { 'kubernetes.io/service-name': service } },
    endpoints,
    ports: [{ name: 'grpc', port: 50051, protocol: 'TCP' }],
  };
}

let api: FakeKubeApi;
let stops: Array<() => void>;
beforeEach(async () => {
  api = await startFakeKubeApi(NS);
  stops = [];
});
afterEach(async () => {
  stops.forEach((stop) => stop());
  await api.close();
});

/** The source under test, recorded; waits until the informer's first watch is open. */
async function start(options: Partial<KubernetesSourceOptions> = {}) {
  const watching = untilWatch();
  const r = recordSource(
    createKubernetesSource({
      service: 'patient-rpc',
      namespace: NS,
      port: 'grpc',
      kubeConfig: api.kubeConfig(),
      restartInitialMs: 20,
      ...options,
    }),
  );
  stops.push(r.stop);
  await watching;
  return r;
}
async function untilWatch() {
  for (;;) {
    const request = await api.nextRequest();
    if (request.kind === 'watch') return request;
  }
}

describe('createKubernetesSource against a fake API server', () => {
  it('lists the ready endpoints of the service, then follows watch events', async () => {
    api.apply(slice('rpc-a', [ready('127.0.0.2'), ready('127.0.0.3', { ready: false })]));
    api.apply(slice('other-a', [ready('127.0.0.9')], 'other'));
    const r = await start();
    expect(r.latest()).toEqual(['127.0.0.2:50051']);
    expect(api.requests[0]).toEqual({
      kind: 'list',
      labelSelector: 'kubernetes.io/service-name=patient-rpc',
      resourceVersion: null,
    });
    expect(api.requests[1]).toMatchObject({
      kind: 'watch',
      labelSelector: 'kubernetes.io/service-name=patient-rpc',
    });

    api.apply(slice('rpc-a', [ready('127.0.0.2'), ready('127.0.0.3')]));
    expect(await r.nextChange()).toEqual(['127.0.0.2:50051', '127.0.0.3:50051']);
    api.apply(slice('rpc-a', [ready('127.0.0.2', { ready: false, terminating: true }), ready('127.0.0.3')]));
    expect(await r.nextChange()).toEqual(['127.0.0.3:50051']);
    api.apply(slice('rpc-a', [ready('127.0.0.3', { ready: true, terminating: true })]));
    expect(await r.nextChange()).toEqual([]);
  });

  it('merges an added slice and drops a deleted one', async () => {
    api.apply(slice('rpc-a', [ready('127.0.0.2')]));
    const r = await start();
    api.apply(slice('rpc-b', [ready('127.0.0.3'), ready('127.0.0.2')]));
    expect(await r.nextChange()).toEqual(['127.0.0.2:50051', '127.0.0.3:50051']);
    api.remove('rpc-a');
    api.remove('rpc-b');
    expect(await r.nextChange()).toEqual([]);
    expect(r.changes).toHaveLength(3);
  });

  it('reports an empty list when the service has no slices', async () => {
    const r = await start();
    expect(await r.until([])).toEqual([]);
  });

  it('takes a BOOKMARK as a new resourceVersion, with no change reported', async () => {
    api.apply(slice('rpc-a', [ready('127.0.0.2')]));
    const r = await start();
    api.bookmark();
    const rv = api.resourceVersion;
    const seen = api.requests.length;
    const rewatch = untilWatch();
    api.dropWatches('end'); // the stream ends after the bookmark line: the client has read it
    expect((await rewatch).resourceVersion).toBe(rv);
    expect(api.requests.slice(seen).map((q) => q.kind)).toEqual(['watch']);
    api.apply(slice('rpc-a', [ready('127.0.0.4')]));
    expect(await r.nextChange()).toEqual(['127.0.0.4:50051']);
    expect(r.changes).toHaveLength(2);
  });

  it('resumes a watch the server ended from its resourceVersion, missing nothing', async () => {
    api.apply(slice('rpc-a', [ready('127.0.0.2')]));
    const r = await start();
    const seen = api.requests.length;
    api.dropWatches('end');
    api.apply(slice('rpc-a', [ready('127.0.0.2'), ready('127.0.0.3')])); // while no watch is open
    expect(await r.until(['127.0.0.2:50051', '127.0.0.3:50051'])).toHaveLength(2);
    expect(api.requests.slice(seen).map((q) => q.kind)).toEqual(['watch']);
    expect(r.errors).toEqual([]);
  });

  it('restarts after the connection is reset (informer stopped on error) and converges', async () => {
    api.apply(slice('rpc-a', [ready('127.0.0.2')]));
    const r = await start();
    const seen = api.requests.length;
    const rewatch = untilWatch();
    api.dropWatches('destroy');
    api.apply(slice('rpc-b', [ready('127.0.0.5')]));
    await r.nextError();
    expect(await r.until(['127.0.0.2:50051', '127.0.0.5:50051'])).toHaveLength(2);
    await rewatch;
    expect(api.requests.slice(seen).map((q) => q.kind)).toEqual(['list', 'watch']);
  });

  it('relists after 410 Gone, picking up changes it never saw as events', async () => {
    api.apply(slice('rpc-a', [ready('127.0.0.2')]));
    const r = await start();
    const seen = api.requests.length;
    api.apply(slice('rpc-a', [ready('127.0.0.6')]), true);
    const rewatch = untilWatch();
    api.expire();
    expect(await r.nextChange()).toEqual(['127.0.0.6:50051']);
    await rewatch;
    expect(api.requests.slice(seen).map((q) => q.kind)).toEqual(['list', 'watch']);
    expect(r.errors).toEqual([]);
  });

  it('resyncs by relisting on its interval', async () => {
    api.apply(slice('rpc-a', [ready('127.0.0.2')]));
    const r = await start({ resyncIntervalMs: 100 });
    api.apply(slice('rpc-a', [ready('127.0.0.7')]), true);
    expect(await r.nextChange()).toEqual(['127.0.0.7:50051']);
    expect(api.requests.filter((q) => q.kind === 'list').length).toBeGreaterThanOrEqual(2);
  });

  it('retries a failing list with backoff, reporting each failure', async () => {
    api.apply(slice('rpc-a', [ready('127.0.0.2')]));
    api.failNextLists(2);
    const r = await start();
    expect(r.errors).toHaveLength(2);
    expect(await r.until(['127.0.0.2:50051'])).toHaveLength(1);
    expect(api.requests.map((q) => q.kind)).toEqual(['list', 'list', 'list', 'watch']);
  });

  it('closes its watch on stop and reports nothing after', async () => {
    api.apply(slice('rpc-a', [ready('127.0.0.2')]));
    const r = await start();
    r.stop();
    await api.idle();
    api.apply(slice('rpc-a', [ready('127.0.0.3')]));
    expect(r.changes).toHaveLength(1);
    expect(r.errors).toEqual([]);
  });
});
