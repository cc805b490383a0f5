import type { Endpoint } from './Endpoint.js';
import type { EndpointSource } from './EndpointSource.js';
import { normalizeEndpoints } from './normalizeEndpoints.js';

/** A source the caller feeds by hand: tests and the rollout simulation push endpoint lists through it. */
export interface ManualSource {
  /** A factory for `createResolverClass`: every source it returns follows `set`/`fail`. */
  readonly factory: () => EndpointSource;
  /** Replace the endpoint list; running sources report it at once. */
  set(endpoints: readonly Endpoint[]): void;
  /** Report an error to running sources (the last list stays). */
  fail(error: Error): void;
  /** How many sources are running (started, not stopped). */
  readonly running: number;
}

/** `initial` undefined means "nothing known yet": sources start silent until `set` is called. */
export function createManualSource(initial?: readonly Endpoint[]): ManualSource {
  let current = initial === undefined ? undefined : normalizeEndpoints(initial);
  const listeners = new Set<{
    onChange: (e: readonly Endpoint[]) => void;
    onError: (e: Error) => void;
  }>();
  return {
    factory: () => {
      let listener: { onChange: (e: readonly Endpoint[]) => void; onError: (e: Error) => void } | undefined;
      return {
        start(onChange, onError) {
          listener = { onChange, onError };
          listeners.add(listener);
          if (current !== undefined) onChange(current);
        },
        stop() {
          if (listener !== undefined) listeners.delete(listener);
        },
      };
    },
    set(endpoints) {
      current = normalizeEndpoints(endpoints);
      for (const listener of [...listeners]) listener.onChange(current);
    },
    fail(error) {
      for (const listener of [...listeners]) listener.onError(error);
    },
    get running() {
      return listeners.size;
    },
  };
}
