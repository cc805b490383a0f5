import type { Request, RequestHandler } from 'express';
import { roleFor, type Action, type Principal } from '@patient-mesh/contract';
import { HttpProblem } from '../http/HttpProblem.js';
import type { FieldLocations } from '../http/grpcToProblem.js';
import type { CallOptions } from '../rpc/CallOptions.js';
import { callOptions } from './callOptions.js';

/**
 * Checks the caller's role for `action` before anything about the request is validated, so
 * a caller without it learns nothing of the request's schema. A refused call still goes to
 * patient-rpc, carrying only what `refused` takes from the path, so the denial is audited
 * where the data lives; the answer is 403. Also records where the route takes each request
 * field from, for the field paths of patient-rpc's INVALID_ARGUMENT answers.
 */
export function guard(
  action: Action,
  fields: FieldLocations,
  refused: (req: Request, options: CallOptions) => Promise<unknown>,
): RequestHandler {
  return async (req, res, next) => {
    res.locals['fields'] = fields;
    if (roleFor(res.locals['principal'] as Principal, action)) return next();
    await refused(req, callOptions(res));
    // patient-rpc let it through, which with the same token and role table it cannot.
    throw new HttpProblem({ status: 403, title: 'Forbidden', reason: 'forbidden' });
  };
}
