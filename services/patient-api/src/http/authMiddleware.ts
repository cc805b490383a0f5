import type { RequestHandler } from 'express';
import { isAuthError, type TokenVerifier } from '@patient-mesh/runtime';
import { HttpProblem } from './HttpProblem.js';

const REALM = 'Bearer realm="patient-mesh"';

/**
 * Requires a valid bearer token; the caller goes to `res.locals.principal` and the token to
 * `res.locals.token`, which patient-rpc is given to verify again.
 */
export function authMiddleware(verifier: TokenVerifier): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer ([A-Za-z0-9_.~+/-]+=*)$/i.exec(header);
    if (!match) {
      throw new HttpProblem({
        status: 401,
        title: 'Authentication required',
        reason: 'missing_token',
        headers: { 'WWW-Authenticate': REALM },
      });
    }
    try {
      res.locals['principal'] = await verifier.verify(match[1]!);
      res.locals['token'] = match[1]!;
    } catch (error) {
      if (!isAuthError(error)) throw error;
      throw new HttpProblem({
        status: 401,
        title: 'Invalid token',
        detail: error.reason,
        reason: 'invalid_token',
        headers: { 'WWW-Authenticate': `${REALM}, error="invalid_token", error_description="${error.reason}"` },
      });
    }
    next();
  };
}
