import type { Express } from 'express';
import type { HttpRoute } from '@patient-mesh/runtime';

/** One entry of router 2.3's `listRoutes()` (express 5's type declarations lack it). */
interface ListedRoute {
  path: string | RegExp;
  /** Upper case, with the implicit HEAD of GET routes and '*' for `.all()`. */
  methods?: string[];
  /** A router mounted at `path`. */
  router?: RouteLister;
}

interface RouteLister {
  listRoutes?(): ListedRoute[];
}

/**
 * Every route template of `app` with each method it answers, labelled as
 * metricsMiddleware labels a request (`req.baseUrl` + `req.route.path`): the paths of
 * mounted routers prefix their routes. The implicit HEAD and `.all()` are left out, as
 * are RegExp paths (none here), which have no template to label with.
 */
export function routeTemplates(app: Express): HttpRoute[] {
  return routesOf(app.router as unknown as RouteLister, '');
}

function routesOf(router: RouteLister, prefix: string): HttpRoute[] {
  if (!router.listRoutes) throw new Error('routeTemplates needs router.listRoutes() (package router >= 2.3)');
  return router.listRoutes().flatMap(({ path, methods = [], router: mounted }) => {
    if (typeof path !== 'string') return [];
    // A router mounted at '/' leaves req.baseUrl as it was.
    if (mounted) return routesOf(mounted, path === '/' ? prefix : prefix + path);
    return methods.filter((m) => m !== 'HEAD' && m !== '*').map((method) => ({ route: prefix + path, method }));
  });
}
