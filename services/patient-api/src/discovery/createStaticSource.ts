import type { Endpoint } from './Endpoint.js';
import type { EndpointSource } from './EndpointSource.js';
import { normalizeEndpoints } from './normalizeEndpoints.js';

/** A fixed endpoint list (`static:///a:1,b:2`), reported once on start. */
export function createStaticSource(endpoints: readonly Endpoint[]): EndpointSource {
  const list = normalizeEndpoints(endpoints);
  let stopped = false;
  return {
    start(onChange) {
      if (!stopped) onChange(list);
    },
    stop() {
      stopped = true;
    },
  };
}
