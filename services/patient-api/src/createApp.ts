import express, { type Express } from 'express';
import { zeroHttpRoutes, type HttpMetrics, type Logger, type TokenVerifier } from '@patient-mesh/runtime';
import type { ApiConfig } from './config.js';
import { authMiddleware } from './http/authMiddleware.js';
import { errorMiddleware } from './http/errorMiddleware.js';
import { HttpProblem } from './http/HttpProblem.js';
import { metricsMiddleware } from './http/metricsMiddleware.js';
import { requestContext } from './http/requestContext.js';
import { routeTemplates } from './http/routeTemplates.js';
import { securityHeaders } from './http/securityHeaders.js';
import type { LoadShedder } from './http/loadShedder.js';
import type { RateLimiters } from './http/rateLimitMiddleware.js';
import { resilienceToProblem } from './rpc/resilience/resilienceToProblem.js';
import { grpcToProblem, isServiceError } from './rpc/grpcToProblem.js';
import type { PatientClient } from './rpc/createPatientClient.js';
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
 * The HTTP app: request id → metrics → load shedding → global rate limit → auth →
 * per-subject rate limit → JSON body → routes → one error middleware (problem+json).
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestContext(deps.config.requestTimeoutMs));
  app.use(securityHeaders);
  app.use(metricsMiddleware(deps.metrics));
  app.use(deps.shedder.middleware);

  const openapi = JSON.stringify(openapiDocument(deps.version));
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  if (deps.docs) app.use(docsRoutes());

  const api = express.Router();
  api.use(deps.rateLimiters.global);
  api.use(authMiddleware(deps.tokens));
  // NDJSON uploads stream to patient-rpc: before the JSON-only check and body parser.
  api.use(importRoutes(deps.rpc));
  api.use(deps.rateLimiters.perSubject);
  api.use((req, _res, next) => {
    if (req.method === 'POST' && !req.is('application/json'))
      throw new HttpProblem({
        status: 415,
        title: 'Unsupported media type',
        detail: 'send application/json',
        reason: 'unsupported_media_type',
      });
    next();
  });
  api.use(express.json({ limit: deps.config.bodyLimitBytes, strict: true }));
  api.use(patientRoutes(deps.rpc));
  app.use('/api/v1', api);

  app.use((req) => {
    throw new HttpProblem({
      status: 404,
      title: 'Not found',
      detail: `no route for ${req.method} ${req.path}`,
      reason: 'no_route',
    });
  });
  app.use((error: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
    const policy = resilienceToProblem(error, deps.breakerRetryAfterSeconds);
    if (policy) return next(new HttpProblem(policy));
    next(isServiceError(error) ? new HttpProblem(grpcToProblem(error)) : error);
  });
  app.use(errorMiddleware(deps.logger));
  // Every route's request series exists from the start (0 until its first request).
  zeroHttpRoutes(deps.metrics, routeTemplates(app));
  return app;
}
