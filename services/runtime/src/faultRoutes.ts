import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';

const MAX_BODY = 16 * 1024;

/** What a service's fault injection exposes to the admin routes. */
export interface FaultSettingsHolder<S> {
  readonly enabled: boolean;
  settings: S;
}

/**
 * `GET /faults` and `PUT /faults` (a body `schema` validates) on a service's admin port,
 * behind a bearer token. Absent unless fault injection is enabled and a token is configured.
 */
export function faultRoutes<S extends z.ZodType>(
  faults: FaultSettingsHolder<z.infer<S>>,
  schema: S,
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
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return json(res, 400, { error: `${issue.path.join('.') || '(body)'}: ${issue.message}` });
      }
      faults.settings = parsed.data;
      return json(res, 200, faults.settings);
    },
  };
}
