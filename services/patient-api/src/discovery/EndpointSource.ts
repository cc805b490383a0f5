import type { Endpoint } from './Endpoint.js';

/**
 * Something that knows the current set of backend endpoints and tells when it changes
 * (a fixed list, a DNS name polled, an EndpointSlice watch).
 *
 * `start` may call `onChange` synchronously or later, and again on every change; the
 * list is complete each time (not a delta). `onError` reports trouble (the source keeps
 * trying on its own where it can); the last list stays valid until `onChange` says
 * otherwise. After `stop` neither callback is called again. A source is started at
 * most once: the resolver asks its factory for a fresh one each time it starts.
 */
export interface EndpointSource {
  start(onChange: (endpoints: readonly Endpoint[]) => void, onError: (error: Error) => void): void;
  stop(): void;
}
