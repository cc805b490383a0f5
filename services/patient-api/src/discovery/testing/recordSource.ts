import type { Endpoint } from '../Endpoint.js';
import type { EndpointSource } from '../EndpointSource.js';
import { endpointKey } from '../normalizeEndpoints.js';

/**
 * Starts a source and records what it reports. The `next…`/`until…` helpers resolve on
 * the callback that satisfies them and reject after `timeoutMs` (failing the test), so
 * tests wait on events, never on sleeps.
 */
export function recordSource(source: EndpointSource, timeoutMs = 4000) {
  const changes: Endpoint[][] = [];
  const errors: Error[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => waiters.forEach((check) => check());

  function waitFor<T>(label: string, probe: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = probe();
        if (value === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `timed out waiting for ${label}; changes: ${JSON.stringify(changes.map((c) => c.map(endpointKey)))}`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  source.start(
    (endpoints) => {
      changes.push([...endpoints]);
      notify();
    },
    (error) => {
      errors.push(error);
      notify();
    },
  );

  return {
    changes,
    errors,
    /** Keys (`host:port`) of the latest list, or undefined before the first. */
    latest: (): string[] | undefined => changes.at(-1)?.map(endpointKey),
    nextChange(): Promise<string[]> {
      const seen = changes.length;
      return waitFor('the next change', () => changes[seen]?.map(endpointKey));
    },
    nextError(): Promise<Error> {
      const seen = errors.length;
      return waitFor('the next error', () => errors[seen]);
    },
    /** Resolves once the latest list is exactly `keys` (any order). */
    until(keys: string[]): Promise<string[]> {
      const want = [...keys].sort().join(',');
      return waitFor(`endpoints ${want}`, () => {
        const latest = changes.at(-1)?.map(endpointKey);
        return latest !== undefined && [...latest].sort().join(',') === want ? latest : undefined;
      });
    },
    stop: (): void => source.stop(),
  };
}
