// Waiting on a state seen from outside (SQL, metrics, logs, processes), bounded by a deadline
// that fails with what was awaited. Polling is the observation, not the synchronisation: the
// condition is the event.

/** Resolves once `check` returns true (or a truthy value, which is returned); rejects after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : String(last)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
