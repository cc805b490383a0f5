import type { RequestHandler } from 'express';
import { HttpProblem } from './HttpProblem.js';
import type { MatchedRoute } from './routeMatcher.js';

/**
 * The last handler: 405 with `Allow` for a path some route has, else 404. `findRoute` is
 * read per request (the app sets it once every route is registered).
 */
export function noRoute(findRoute: (path: string) => MatchedRoute | undefined): RequestHandler {
  return (req) => {
    const route = findRoute(req.path);
    // A method the route answers reached here when its handler passed (e.g. /docs/:asset): 404.
    if (route && !route.methods.includes(req.method))
      throw new HttpProblem({
        status: 405,
        title: 'Method not allowed',
        detail: `${req.method} is not allowed on ${route.route}`,
        reason: 'method_not_allowed',
        headers: { Allow: route.methods.join(', ') },
      });
    throw new HttpProblem({
      status: 404,
      title: 'Not found',
      detail: `no route for ${req.method} ${req.path}`,
      reason: 'no_route',
    });
  };
}
