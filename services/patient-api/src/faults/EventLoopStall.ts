import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@patient-mesh/runtime';
import { z } from 'zod';

const MAX_BODY = 16 * 1024;

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

/**
 * `GET /faults` and `PUT /faults` on the admin port, behind a bearer token, as patient-rpc
 * has. Absent unless fault injection is enabled and a token is configured.
 */
export function apiFaultRoutes(
  faults: EventLoopStall,
  adminToken: string,
): Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> {
  if (!faults.enabled || adminToken === '') return {};
  const authorised = (req: IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    const expected = Buffer.from(`Bearer ${adminToken}`);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  return {
    'GET /faults': async (req, res) =>
      authorised(req) ? json(res, 200, faults.settings) : json(res, 401, { error: 'unauthorised' }),
    'PUT /faults': async (req, res) => {
      if (!authorised(req)) return json(res, 401, { error: 'unauthorised' });
      let text = '';
      for await (const chunk of req) {
        text += String(chunk);
        if (text.length > MAX_BODY) return json(res, 413, { error: 'body too large' });
      }
      let body: unknown;
      try {
        body = JSON.parse(text || '{}');
      } catch {
        return json(res, 400, { error: 'body is not JSON' });
      }
      const parsed = apiFaultSettingsSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return json(res, 400, { error: `${issue.path.join('.') || '(body)'}: ${issue.message}` });
      }
      faults.settings = parsed.data;
      return json(res, 200, faults.settings);
    },
  };
}
