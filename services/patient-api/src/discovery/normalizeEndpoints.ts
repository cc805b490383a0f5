import type { Endpoint } from './Endpoint.js';

/** `host:port`, with IPv6 hosts in brackets. */
export function endpointKey(endpoint: Endpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

/** Deduplicated by host and port, in a stable order, so two lists compare cheaply. */
export function normalizeEndpoints(endpoints: Iterable<Endpoint>): Endpoint[] {
  const byKey = new Map<string, Endpoint>();
  for (const endpoint of endpoints) {
    byKey.set(endpointKey(endpoint), { host: endpoint.host, port: endpoint.port });
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, endpoint]) => endpoint);
}

/** Whether two lists hold the same endpoints, whatever their order or duplicates. */
export function sameEndpoints(a: Iterable<Endpoint>, b: Iterable<Endpoint>): boolean {
  const left = normalizeEndpoints(a).map(endpointKey);
  const right = normalizeEndpoints(b).map(endpointKey);
  return left.length === right.length && left.every((key, i) => key === right[i]);
}
