import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type V1EndpointSlice } from '@kubernetes/client-node';

/**
 * A fake Kubernetes API server for EndpointSlices, on 127.0.0.1: the list/watch protocol
 * client-node's informer speaks. Where it deviates from a real apiserver:
 * - one resource, one namespace-scoped path; label selectors only of the form `k=v`;
 * - no authn/z beyond checking a bearer token is present; plain HTTP;
 * - resourceVersions are consecutive integers (real ones are opaque strings);
 * - it keeps every event, so any watch from a non-expired resourceVersion is replayed
 *   exactly; "expiry" is set by the test (`expire`), not by etcd compaction;
 * - BOOKMARK events are sent when the test asks, even though the client did not set
 *   `allowWatchBookmarks` (a real server sends them only then);
 * - no watch timeout (a real server ends watches after minRequestTimeout to 2x that);
 * - objects carry only the fields discovery reads (no uid, managedFields, …).
 */
export interface WatchRequest {
  kind: 'list' | 'watch';
  labelSelector: string | null;
  resourceVersion: string | null;
}
type Event = { rv: number; type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: V1EndpointSlice };

export async function startFakeKubeApi(namespace: string) {
  let rv = 1;
  let expiredBefore = 0; // watches from a resourceVersion below this get 410 Gone
  let failLists = 0;
  const slices = new Map<string, V1EndpointSlice>();
  const log: Event[] = [];
  const watchers = new Set<{ res: ServerResponse; selector: string | null }>();
  const requests: WatchRequest[] = [];
  const requestWaiters: Array<(r: WatchRequest) => void> = [];
  const path = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;

  const matches = (slice: V1EndpointSlice, selector: string | null): boolean => {
    if (!selector) return true;
    const [key = '', value] = selector.split('=');
    return slice.metadata?.labels?.[key] === value;
  };
  const send = (res: ServerResponse, event: Omit<Event, 'rv'>): void => {
    res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
  };
  const emit = (event: Event, silently: boolean): void => {
    log.push(event);
    if (silently) return;
    for (const w of watchers) if (event.type === 'BOOKMARK' || matches(event.object, w.selector)) send(w.res, event);
  };
  const stamp = (slice: V1EndpointSlice): V1EndpointSlice => ({
    ...slice,
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { ...slice.metadata, namespace, resourceVersion: String(++rv) },
  });

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (!req.headers.authorization?.startsWith('Bearer ')) return json(401, { kind: 'Status', code: 401 });
    if (url.pathname !== path) return json(404, { kind: 'Status', code: 404, reason: 'NotFound' });
    const selector = url.searchParams.get('labelSelector');
    const request: WatchRequest = {
      kind: url.searchParams.get('watch') === 'true' ? 'watch' : 'list',
      labelSelector: selector,
      resourceVersion: url.searchParams.get('resourceVersion'),
    };
    requests.push(request);
    requestWaiters.splice(0).forEach((resolve) => resolve(request));
    if (request.kind === 'list') {
      if (failLists > 0 && failLists--) return json(500, { kind: 'Status', code: 500, reason: 'InternalError' });
      const items = [...slices.values()].filter((s) => matches(s, selector));
      return json(200, { kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1', metadata: { resourceVersion: String(rv) }, items });
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders(); // client-node's start() waits for the response headers
    const from = Number(request.resourceVersion ?? '0');
    if (from < expiredBefore) return expireOne(res);
    for (const event of log) if (event.rv > from && (event.type === 'BOOKMARK' || matches(event.object, selector))) send(res, event);
    const watcher = { res, selector };
    watchers.add(watcher);
    res.on('close', () => watchers.delete(watcher));
  };
  // What a real apiserver sends for a too-old resourceVersion: an ERROR event, then the end.
  const expireOne = (res: ServerResponse): void => {
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' };
    res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
  };

  const server = createServer(handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    requests,
    /** A KubeConfig for this server (plain HTTP needs `skipTLSVerify`). */
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
    /** Create or replace a slice; `silently` records it without telling open watches (a lost event). */
    apply(slice: V1EndpointSlice, silently = false): void {
      const name = slice.metadata?.name ?? '';
      const type = slices.has(name) ? 'MODIFIED' : 'ADDED';
      const stamped = stamp(slice);
      slices.set(name, stamped);
      emit({ rv, type, object: stamped }, silently);
    },
    remove(name: string): void {
      const old = slices.get(name);
      if (old === undefined) return;
      slices.delete(name);
      emit({ rv: ++rv, type: 'DELETED', object: { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } } }, false);
    },
    /** Advance the resourceVersion (as other objects' writes do) and send a BOOKMARK. */
    bookmark(): void {
      emit({ rv: ++rv, type: 'BOOKMARK', object: { addressType: '', metadata: { resourceVersion: String(rv) } } }, false);
    },
    /** Expire resourceVersions before the current one: open watches get 410 Gone, and so do watches resumed from older ones. */
    expire(): void {
      expiredBefore = rv;
      for (const w of watchers) expireOne(w.res);
    },
    /** End open watches: `end` cleanly, `destroy` by resetting the connection. */
    dropWatches(how: 'end' | 'destroy'): void {
      for (const w of watchers) (how === 'end' ? w.res.end() : w.res.socket?.destroy());
    },
    failNextLists(count: number): void {
      failLists = count;
    },
    nextRequest(): Promise<WatchRequest> {
      return new Promise((resolve) => requestWaiters.push(resolve));
    },
    get openWatches(): number {
      return watchers.size;
    },
    async close(): Promise<void> {
      for (const w of watchers) w.res.end();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export type FakeKubeApi = Awaited<ReturnType<typeof startFakeKubeApi>>;
