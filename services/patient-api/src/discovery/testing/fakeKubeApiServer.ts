import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type V1EndpointSlice } from '@kubernetes/client-node';
import { createEndpointSliceStore, matchesSelector, type StoredEvent } from './endpointSliceStore.js';

/**
 * A fake Kubernetes API server for EndpointSlices on 127.0.0.1, speaking the list/watch
 * protocol client-node's informer uses. Where it deviates from a real apiserver:
 * - one resource under one namespace path; `k=v` label selectors only; no field selectors;
 * - plain HTTP, and no authn/z beyond requiring a bearer token;
 * - resourceVersions are consecutive integers, and every event is kept, so a watch from
 *   any non-expired resourceVersion is replayed exactly; expiry (410 Gone) happens when
 *   the test calls `expire`, not by etcd compaction;
 * - BOOKMARK events are sent when the test asks, although the client did not ask for
 *   them with `allowWatchBookmarks` (a real server sends them only then);
 * - watches never time out (a real server ends them after minRequestTimeout..2x);
 * - objects carry only the fields discovery reads (no uid, generation, managedFields…).
 */
export interface ApiRequest {
  kind: 'list' | 'watch';
  labelSelector: string | null;
  resourceVersion: string | null;
}

const GONE = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 };

export async function startFakeKubeApi(namespace: string) {
  const path = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
  const watchers = new Set<{ res: ServerResponse; selector: string | null }>();
  const requests: ApiRequest[] = [];
  let requestWaiters: Array<(r: ApiRequest) => void> = [];
  let idleWaiters: Array<() => void> = [];
  let expiredBefore = 0;
  let failLists = 0;

  const send = (res: ServerResponse, e: Pick<StoredEvent, 'type' | 'object'>): void => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
  };
  // What a real apiserver sends for a too-old resourceVersion: an ERROR event, then the end.
  const gone = (res: ServerResponse): void => {
    res.end(`${JSON.stringify({ type: 'ERROR', object: { ...GONE, message: 'too old resource version' } })}\n`);
  };
  const store = createEndpointSliceStore(namespace, (event) => {
    if (event.silent) return;
    for (const w of watchers) {
      if (event.type === 'BOOKMARK' || matchesSelector(event.object, w.selector)) send(w.res, event);
    }
  });

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (code: number, body: object): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (!req.headers.authorization?.startsWith('Bearer ')) return json(401, { kind: 'Status', code: 401 });
    if (url.pathname !== path) return json(404, { kind: 'Status', code: 404, reason: 'NotFound' });
    const selector = url.searchParams.get('labelSelector');
    const request: ApiRequest = {
      kind: url.searchParams.get('watch') === 'true' ? 'watch' : 'list',
      labelSelector: selector,
      resourceVersion: url.searchParams.get('resourceVersion'),
    };
    requests.push(request);
    requestWaiters.splice(0).forEach((resolve) => resolve(request));
    if (request.kind === 'list') {
      if (failLists > 0 && failLists--) return json(500, { kind: 'Status', code: 500, reason: 'InternalError' });
      const metadata = { resourceVersion: String(store.resourceVersion) };
      return json(200, {
        kind: 'EndpointSliceList',
        apiVersion: 'discovery.k8s.io/v1',
        metadata,
        items: store.list(selector),
      });
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders(); // client-node's informer start() waits for the watch's headers
    const from = Number(request.resourceVersion ?? '0');
    if (from < expiredBefore) return gone(res);
    store.eventsAfter(from, selector).forEach((event) => send(res, event));
    const watcher = { res, selector };
    watchers.add(watcher);
    res.on('close', () => {
      watchers.delete(watcher);
      if (watchers.size === 0) idleWaiters.splice(0).forEach((resolve) => resolve());
    });
  };

  const server = createServer(handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const closeWatches = (close: (res: ServerResponse) => void): void => {
    watchers.forEach((w) => close(w.res));
    watchers.clear();
  };

  return {
    requests,
    /** A KubeConfig for this server (client-node refuses plain HTTP without `skipTLSVerify`). */
    kubeConfig(): KubeConfig {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
        users: [{ name: 'test', token: 'test-token' }],
        contexts: [{ name: 'fake', cluster: 'fake', user: 'test', namespace }],
        currentContext: 'fake',
      });
      return kc;
    },
    /** Create or replace a slice; `silently`: open watches are not told (a lost event). */
    apply: (slice: V1EndpointSlice, silently = false): void => store.apply(slice, silently),
    remove: (name: string): void => store.remove(name),
    bookmark: (): void => store.bookmark(),
    get resourceVersion(): string {
      return String(store.resourceVersion);
    },
    /** Older resourceVersions expire: open watches get 410 Gone, and so do watches resumed from them. */
    expire(): void {
      expiredBefore = store.resourceVersion;
      closeWatches(gone);
    },
    /** End open watches: `end` cleanly, `destroy` by resetting the connection. */
    dropWatches(how: 'end' | 'destroy'): void {
      closeWatches((res) => (how === 'end' ? res.end() : res.socket?.destroy()));
    },
    failNextLists(count: number): void {
      failLists = count;
    },
    nextRequest: (): Promise<ApiRequest> => new Promise((resolve) => requestWaiters.push(resolve)),
    /** Resolves when no watch is open. */
    idle: (): Promise<void> =>
      watchers.size === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve)),
    async close(): Promise<void> {
      closeWatches((res) => res.end());
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
      requestWaiters = [];
      idleWaiters = [];
    },
  };
}

export type FakeKubeApi = Awaited<ReturnType<typeof startFakeKubeApi>>;
