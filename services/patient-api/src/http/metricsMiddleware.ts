import type { RequestHandler } from 'express';
import { statusClass, type HttpMetrics } from '@patient-mesh/runtime';

/**
 * RED metrics labelled by route template (never the raw path: ids stay out of labels).
 * `routeOf` finds the template of the path as the request arrived, so an answer is counted
 * under its route whoever gave it: the handler, an error, or a middleware before routing
 * (401, 429, a shed 503). A path no route has is `unmatched`.
 */
export function metricsMiddleware(metrics: HttpMetrics, routeOf: (path: string) => string | undefined): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    const path = req.path;
    metrics.inFlight.inc();
    res.once('close', () => {
      metrics.inFlight.dec();
      const labels = {
        route: routeOf(path) ?? 'unmatched',
        method: req.method,
        status_class: statusClass(res.statusCode),
      };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}
