import type { V1EndpointSlice } from '@kubernetes/client-node';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
export interface StoredEvent {
  rv: number;
  type: WatchEventType;
  object: V1EndpointSlice;
  /** Recorded for later watches, but not sent to the open ones (a lost event). */
  silent: boolean;
}

/** `k=v` label selectors only (the form the informer sends here). */
export function matchesSelector(slice: V1EndpointSlice, selector: string | null): boolean {
  if (!selector) return true;
  const [key = '', value] = selector.split('=');
  return slice.metadata?.labels?.[key] === value;
}

/**
 * The fake API server's storage: EndpointSlices of one namespace, a resourceVersion
 * counter (consecutive integers; a real one is opaque) and every event ever written
 * (a real apiserver keeps a window, then compacts).
 */
export function createEndpointSliceStore(namespace: string, onEvent: (e: StoredEvent) => void) {
  let rv = 1;
  const slices = new Map<string, V1EndpointSlice>();
  const log: StoredEvent[] = [];
  const record = (type: WatchEventType, object: V1EndpointSlice, silent: boolean): void => {
    const event = { rv, type, object, silent };
    log.push(event);
    onEvent(event);
  };
  const stamp = (slice: V1EndpointSlice): V1EndpointSlice => ({
    ...slice,
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { ...slice.metadata, namespace, resourceVersion: String(++rv) },
  });

  return {
    get resourceVersion(): number {
      return rv;
    },
    list: (selector: string | null): V1EndpointSlice[] =>
      [...slices.values()].filter((s) => matchesSelector(s, selector)),
    eventsAfter: (from: number, selector: string | null): StoredEvent[] =>
      log.filter((e) => e.rv > from && (e.type === 'BOOKMARK' || matchesSelector(e.object, selector))),
    apply(slice: V1EndpointSlice, silent: boolean): void {
      const name = slice.metadata?.name ?? '';
      const type = slices.has(name) ? 'MODIFIED' : 'ADDED';
      const stamped = stamp(slice);
      slices.set(name, stamped);
      record(type, stamped, silent);
    },
    remove(name: string): void {
      const old = slices.get(name);
      if (old === undefined) return;
      slices.delete(name);
      record('DELETED', stamp(old), false);
    },
    /** Advance the resourceVersion, as other objects' writes do, and record a BOOKMARK. */
    bookmark(): void {
      record('BOOKMARK', { addressType: '', metadata: { resourceVersion: String(++rv) } }, false);
    },
  };
}
