import { describe, expect, it } from 'vitest';
import { routeMatcher } from './routeMatcher.js';

describe('routeMatcher', () => {
  const find = routeMatcher([
    { route: '/api/v1/patients', method: 'GET' },
    { route: '/api/v1/patients', method: 'POST' },
    { route: '/api/v1/patients/:id', method: 'GET' },
    { route: '/api/v1/patients/:id/questionnaires', method: 'POST' },
  ]);

  it('finds the template of a path and the methods it answers (GET implies HEAD)', () => {
    expect(find('/api/v1/patients/0c5e5f5e-1111-4111-8111-111111111111')).toEqual({
      route: '/api/v1/patients/:id',
      methods: ['GET', 'HEAD'],
    });
    expect(find('/api/v1/patients')).toEqual({ route: '/api/v1/patients', methods: ['GET', 'POST', 'HEAD'] });
    expect(find('/api/v1/patients/x/questionnaires')).toEqual({
      route: '/api/v1/patients/:id/questionnaires',
      methods: ['POST'],
    });
  });

  it('matches as express does: any case, an optional trailing slash, and undecodable segments', () => {
    expect(find('/API/v1/Patients/')?.route).toBe('/api/v1/patients');
    expect(find('/api/v1/patients/%E0%A4%A')?.route).toBe('/api/v1/patients/:id');
  });

  it('finds nothing for a path no route has', () => {
    expect(find('/api/v1/patients/a/b')).toBeUndefined();
    expect(find('/api/v2/patients')).toBeUndefined();
  });
});
