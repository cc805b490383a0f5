import type { HttpRoute } from '@patient-mesh/runtime';
import { match } from 'path-to-regexp';

/** A route template and the methods it answers. */
export interface MatchedRoute {
  route: string;
  methods: readonly string[];
}

/**
 * Finds the template of a request path among the app's routes, as express matches it (case
 * insensitive, an optional trailing slash), without decoding: a malformed percent-encoding
 * still finds its route. One lookup labels every answer the same way, whether a handler
 * answered, threw, or a middleware answered before routing (401, 429, 503).
 */
export function routeMatcher(routes: readonly HttpRoute[]): (path: string) => MatchedRoute | undefined {
  const byTemplate = new Map<string, string[]>();
  for (const { route, method } of routes) byTemplate.set(route, [...(byTemplate.get(route) ?? []), method]);
  const table = [...byTemplate].map(([route, methods]) => ({
    route,
    methods: methods.includes('GET') ? [...methods, 'HEAD'] : methods,
    test: match(route, { decode: false }),
  }));
  return (path) => {
    const found = table.find((entry) => entry.test(path));
    return found && { route: found.route, methods: found.methods };
  };
}
