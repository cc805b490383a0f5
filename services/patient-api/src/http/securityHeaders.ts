import type { RequestHandler } from 'express';

/**
 * Headers on every response. The API answers JSON only: a browser that renders one anyway
 * loads nothing from it and frames it nowhere. The docs page (routes/docsRoutes.ts)
 * replaces the policy with its own.
 */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
};
