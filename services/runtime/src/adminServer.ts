import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Lifecycle } from './lifecycle/Lifecycle.js';
import { renderMetrics } from './renderMetrics.js';

export interface AdminServerDeps {
  lifecycle: Lifecycle;
  registry: Registry;
  /** Service-specific admin routes, matched by `METHOD /path` (e.g. `PUT /faults`). */
  routes?: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void>;
}

/**
 * The admin port: `/livez` (the process answers), `/readyz` (ready for traffic: started,
 * store reachable, not draining), `/metrics` (Prometheus text format).
 */
export function createAdminServer({ lifecycle, registry, routes = {} }: AdminServerDeps): Server {
  return createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    try {
      if (path === '/livez') return send(res, 200, 'text/plain', 'ok\n');
      if (path === '/readyz') {
        const reason = await lifecycle.notReadyReason();
        return send(res, reason ? 503 : 200, 'text/plain', reason ? `not ready: ${reason}\n` : 'ready\n');
      }
      if (path === '/metrics') {
        const { contentType, body } = await renderMetrics(registry, req.headers.accept);
        return send(res, 200, contentType, body);
      }
      const route = routes[`${req.method} ${path}`];
      if (route) return await route(req, res);
      return send(res, 404, 'text/plain', 'not found\n');
    } catch {
      return send(res, 500, 'text/plain', 'error\n');
    }
  });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
