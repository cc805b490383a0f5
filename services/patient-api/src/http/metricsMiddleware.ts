import type { RequestHandler } from 'express';
import { statusClass, type HttpMetrics } from '@patient-mesh/runtime';

/** RED metrics labelled by route template (never the raw path: ids stay out of labels). */
export function metricsMiddleware(metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    metrics.inFlight.inc();
    res.once('close', () => {
      metrics.inFlight.dec();
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { route, method: req.method, status_class: statusClass(res.statusCode) };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}
