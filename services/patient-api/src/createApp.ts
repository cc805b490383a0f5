import express, { type Express } from 'express';
import type { HttpMetrics, Logger } from '@patient-mesh/runtime';
import type { Authenticator } from './auth/createAuthenticator.js';
import type { ApiConfig } from './config.js';
import { authMiddleware } from './http/authMiddleware.js';
import { errorMiddleware } from './http/errorMiddleware.js';
import { HttpProblem } from './http/HttpProblem.js';
import { metricsMiddleware } from './http/metricsMiddleware.js';
import { requestContext } from './http/requestContext.js';
import { grpcToProblem, isServiceError } from './rpc/grpcToProblem.js';
import type { PatientClient } from './rpc/createPatientClient.js';
import { openapiDocument } from './routes/openapiDocument.js';
import { patientRoutes } from './routes/patientRoutes.js';

export interface AppDeps {
  config: ApiConfig['http'];
  version: string;
  authenticator: Authenticator;
  rpc: PatientClient;
  metrics: HttpMetrics;
  logger: Logger;
}

/** The HTTP app: request id → metrics → auth → JSON body → routes → problem+json errors. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestContext(deps.config.requestTimeoutMs));
  app.use(metricsMiddleware(deps.metrics));

  const openapi = JSON.stringify(openapiDocument(deps.version));
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });

  const api = express.Router();
  api.use(authMiddleware(deps.authenticator));
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
    next(isServiceError(error) ? new HttpProblem(grpcToProblem(error)) : error);
  });
  app.use(errorMiddleware(deps.logger));
  return app;
}
