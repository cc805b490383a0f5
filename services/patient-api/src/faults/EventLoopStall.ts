import type { Logger } from '@patient-mesh/runtime';
import { z } from 'zod';

/** Faults patient-api can inject into itself; also the body of `PUT /faults` on the admin port. */
export const apiFaultSettingsSchema = z.strictObject({
  eventLoopStallMs: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(0)
    .describe('Block the event loop this long (busy, as a CPU-bound handler would) again and again; 0 = off.'),
  stallIntervalMs: z
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(0)
    .describe('A stall starts this often; 0 = 10 ms after the last one ended (the loop is busy nearly all the time).'),
});
export type ApiFaultSettings = z.infer<typeof apiFaultSettingsSchema>;

/**
 * An event-loop stall for tests and demos: the loop is held in a busy wait for
 * `eventLoopStallMs` every `stallIntervalMs`, as a synchronous handler or a GC storm would.
 * Off unless config enables fault injection, which production refuses (config validation).
 */
export class EventLoopStall {
  #settings: ApiFaultSettings;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly enabled: boolean,
    initial: ApiFaultSettings,
    private readonly logger: Logger,
  ) {
    this.#settings = initial;
    if (enabled) this.#apply();
  }

  get settings(): ApiFaultSettings {
    return this.#settings;
  }

  set settings(next: ApiFaultSettings) {
    if (!this.enabled) throw new Error('fault injection is disabled');
    this.#settings = next;
    this.logger.warn({ faults: next }, 'fault settings changed');
    this.#apply();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #apply(): void {
    this.stop();
    const { eventLoopStallMs: stall, stallIntervalMs } = this.#settings;
    if (stall === 0) return;
    this.#timer = setInterval(
      () => {
        const until = performance.now() + stall;
        while (performance.now() < until) {
          // Busy: nothing else runs on this loop until the stall ends.
        }
      },
      stallIntervalMs || stall + 10,
    ).unref();
  }
}
