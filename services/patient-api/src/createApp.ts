import express, { type Express } from 'express';
import { zeroHttpRoutes, type HttpMetrics, type Logger, type TokenVerifier } from '@patient-mesh/runtime';
import type { ApiConfig } from './config.js';
import { authMiddleware } from './http/authMiddleware.js';
import { jsonBody, jsonOnly, utf8Bodies } from './http/bodies.js';
import { bodyIdleTimeout } from './http/bodyIdleTimeout.js';
import { errorMiddleware } from './http/errorMiddleware.js';
import { metricsMiddleware } from './http/metricsMiddleware.js';
import { noRoute } from './http/noRoute.js';
import { requestContext } from './http/requestContext.js';
import { routeMatcher, type MatchedRoute } from './http/routeMatcher.js';
import { routeTemplates } from './http/routeTemplates.js';
import { securityHeaders } from './http/securityHeaders.js';
import type { LoadShedder } from './http/loadShedder.js';
import type { RateLimiters } from './http/rateLimitMiddleware.js';
import type { PatientClient } from './rpc/PatientClient.js';
import { docsRoutes } from './routes/docsRoutes.js';
import { openapiDocument } from './routes/openapiDocument.js';
import { importRoutes } from './routes/importRoutes.js';
import { patientRoutes } from './routes/patientRoutes.js';

export interface AppDeps {
  config: ApiConfig['http'];
  rateLimiters: RateLimiters;
  shedder: LoadShedder;
  /** Seconds a client should wait while the breaker is open. */
  breakerRetryAfterSeconds: number;
  version: string;
  /** Serve GET /docs (Swagger UI on /openapi.json): http.docs, else on outside production. */
  docs: boolean;
  tokens: TokenVerifier;
  rpc: PatientClient;
  metrics: HttpMetrics;
  logger: Logger;
}

/**
 * The HTTP app: request id → metrics → body idle timeout → load shedding → global rate
 * limit → auth → per-subject rate limit → UTF-8 check → import upload | JSON body → routes
 * → 405 / 404 → the one error middleware (problem+json, through http/errorToProblem.ts).
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  // Set once every route is registered (below); requests are only served after that.
  let findRoute: (path: string) => MatchedRoute | undefined = () => undefined;

  app.use(requestContext(deps.config.requestTimeoutMs));
  app.use(securityHeaders);
  app.use(metricsMiddleware(deps.metrics, (path) => findRoute(path)?.route));
  app.use(bodyIdleTimeout(deps.config.bodyIdleTimeoutMs));
  app.use(deps.shedder.middleware);

  const openapi = JSON.stringify(openapiDocument(deps.version));
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  if (deps.docs) app.use(docsRoutes());

  const api = express.Router();
  // Patient data, and every answer about it (401, 403, 429 included), is never stored by a cache.
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  api.use(deps.rateLimiters.global);
  api.use(authMiddleware(deps.tokens));
  api.use(deps.rateLimiters.perSubject);
  api.use(utf8Bodies);
  // NDJSON uploads stream to patient-rpc: before the JSON-only check and body parser.
  api.use(importRoutes(deps.rpc));
  api.use(jsonOnly);
  api.use(jsonBody(deps.config.bodyLimitBytes));
  api.use(patientRoutes(deps.rpc));
  app.use('/api/v1', api);

  app.use(noRoute((path) => findRoute(path)));
  app.use(errorMiddleware({ logger: deps.logger, breakerRetryAfterSeconds: deps.breakerRetryAfterSeconds }));
  const routes = routeTemplates(app);
  findRoute = routeMatcher(routes);
  // Every route's request series exists from the start (0 until its first request).
  zeroHttpRoutes(deps.metrics, routes);
  return app;
}
