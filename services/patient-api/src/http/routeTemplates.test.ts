import express from 'express';
import { describe, expect, it } from 'vitest';
import { routeTemplates } from './routeTemplates.js';

describe('routeTemplates', () => {
  it('lists each route with its methods, prefixed by the paths its routers are mounted at', () => {
    const app = express();
    app.use((_req, _res, next) => next());
    app.get('/openapi.json', (_req, res) => res.end());
    const patients = express.Router();
    patients.get('/patients/:id', (_req, res) => res.end());
    patients
      .route('/patients')
      .get((_req, res) => res.end())
      .post((_req, res) => res.end());
    patients.all('/anything', (_req, res) => res.end());
    const api = express.Router();
    api.use(express.json());
    api.use(patients);
    app.use('/api/v1', api);

    expect(routeTemplates(app)).toEqual([
      { route: '/openapi.json', method: 'GET' },
      { route: '/api/v1/patients/:id', method: 'GET' },
      { route: '/api/v1/patients', method: 'GET' },
      { route: '/api/v1/patients', method: 'POST' },
    ]);
  });
});
