import type { V1EndpointSlice } from '@kubernetes/client-node';
import type { Endpoint } from './Endpoint.js';
import { normalizeEndpoints } from './normalizeEndpoints.js';

const IP_ADDRESS_TYPES = new Set(['IPv4', 'IPv6']);

/**
 * The endpoints of all slices of one Service that may take new calls: `ready` not false
 * (unset means ready) and not `terminating`, deduplicated across slices (during a
 * re-slice one pod can sit in two slices).
 *
 * `port`: a number is used as is (the port the pods listen on: slices carry target
 * ports, not the Service port); a name is looked up in each slice's `ports` (slices
 * without it are skipped). FQDN slices are skipped, and, like kube-proxy, only the first
 * address of an endpoint is used (Kubernetes defines no meaning for the others).
 */
export function endpointsFromSlices(slices: Iterable<V1EndpointSlice>, port: number | string): Endpoint[] {
  const found: Endpoint[] = [];
  for (const slice of slices) {
    if (!IP_ADDRESS_TYPES.has(slice.addressType)) continue;
    const slicePort = typeof port === 'number' ? port : slice.ports?.find((p) => p.name === port)?.port;
    if (slicePort === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false || endpoint.conditions?.terminating === true) continue;
      const host = endpoint.addresses[0];
      if (host !== undefined) found.push({ host, port: slicePort });
    }
  }
  return normalizeEndpoints(found);
}
