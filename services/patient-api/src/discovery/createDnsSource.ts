import { lookup, resolve4, resolve6 } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { EndpointSource } from './EndpointSource.js';
import { normalizeEndpoints, sameEndpoints } from './normalizeEndpoints.js';
import type { Endpoint } from './Endpoint.js';

export interface DnsSourceOptions {
  /** Name to resolve, e.g. a headless Service `patient-rpc-headless.ns.svc.cluster.local`. */
  host: string;
  port: number;
  /** Time between resolutions. Default 5000 ms. */
  intervalMs?: number;
  /**
   * `lookup` (default): getaddrinfo, all addresses, honours /etc/hosts like grpc-js's own
   * `dns:` resolver. `resolve`: A and AAAA queries straight to the DNS servers.
   */
  mode?: 'lookup' | 'resolve';
  /** Replaces the resolution (tests); returns the addresses of `host`. */
  resolveAddresses?: (host: string) => Promise<string[]>;
}

const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA']);

async function lookupAll(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true });
  return found.map((entry) => entry.address);
}

async function resolveAll(host: string): Promise<string[]> {
  const [v4, v6] = await Promise.allSettled([resolve4(host), resolve6(host)]);
  if (v4.status === 'rejected' && v6.status === 'rejected') throw v4.reason;
  return [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
}

function isNoSuchName(error: unknown): boolean {
  return NO_SUCH_NAME.has((error as { code?: string } | null)?.code ?? '');
}

/**
 * A DNS name re-resolved every `intervalMs` (grpc-js's own `dns:` resolver re-resolves
 * only after a connection drops, at most every 30 s, so new pods behind a headless
 * Service stay unused). A name that does not exist or has no addresses (a headless
 * Service with no ready pods) is an empty list; other failures are errors and keep the
 * last list.
 */
export function createDnsSource(options: DnsSourceOptions): EndpointSource {
  const intervalMs = options.intervalMs ?? 5000;
  const resolveAddresses =
    options.resolveAddresses ??
    (isIP(options.host) !== 0 ? async (host: string) => [host] : options.mode === 'resolve' ? resolveAll : lookupAll);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let last: Endpoint[] | undefined;

  const poll = async (onChange: (e: readonly Endpoint[]) => void, onError: (e: Error) => void): Promise<void> => {
    let endpoints: Endpoint[] | undefined;
    try {
      const addresses = await resolveAddresses(options.host);
      endpoints = normalizeEndpoints(addresses.map((host) => ({ host, port: options.port })));
    } catch (error) {
      if (isNoSuchName(error)) endpoints = [];
      else if (!stopped) onError(error instanceof Error ? error : new Error(String(error)));
    }
    if (!stopped && endpoints !== undefined && (last === undefined || !sameEndpoints(last, endpoints))) {
      last = endpoints;
      onChange(endpoints);
    }
    if (stopped) return;
    timer = setTimeout(() => void poll(onChange, onError), intervalMs);
    timer.unref();
  };

  return {
    start(onChange, onError) {
      void poll(onChange, onError);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
