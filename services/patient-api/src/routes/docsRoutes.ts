import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import { HttpProblem } from '../http/HttpProblem.js';

/**
 * Swagger UI's files, from the installed swagger-ui-dist package (a production dependency:
 * the image carries it; nothing is fetched from elsewhere at run time).
 */
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The files of the package the page uses; its own index.html and initializer (the petstore demo) are not served. */
const PACKAGE_ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui.css.map',
  'swagger-ui-bundle.js',
  'swagger-ui-bundle.js.map',
  'favicon-16x16.png',
  'favicon-32x32.png',
]);

/**
 * The page's policy: scripts and styles only from this origin (the bundle, its stylesheet
 * and the initializer below; nothing inline), requests only to this origin (the document
 * and "Try it out"), images from here or data: URLs (the stylesheet's icons). Swagger UI
 * needs no 'unsafe-inline' for styles: React sets element styles through the CSSOM, which
 * style-src does not govern (tests/integration/api-docs.test.ts sees no violation).
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// URLs are relative to the page (/docs), so the page also works behind a path prefix.
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>patient-mesh API</title>
    <link rel="stylesheet" href="docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="docs/favicon-32x32.png" sizes="32x32" />
    <link rel="icon" type="image/png" href="docs/favicon-16x16.png" sizes="16x16" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="docs/swagger-ui-bundle.js"></script>
    <script src="docs/swagger-initializer.js"></script>
  </body>
</html>
`;

/**
 * Swagger UI on this service's document. No validator badge (it would call a public
 * validator), no ?url= or ?configUrl= (the page shows only this API's document), the
 * token pasted under "Authorize" kept in memory only; "Try it out" calls the document's
 * server, this origin.
 */
const INITIALIZER = `'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: new URL('openapi.json', document.baseURI).href,
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null,
    queryConfigEnabled: false,
    persistAuthorization: false,
    displayOperationId: true,
  });
});
`;

const docsHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', DOCS_CSP);
  next();
};

/**
 * `GET /docs`: the API in a browser (Swagger UI rendering /openapi.json). Two route
 * templates, `/docs` and `/docs/:asset`, so the page and its files are labelled like any
 * route in the metrics (never by file, never as `unmatched`). No authentication: the
 * document is public; the page makes no call to patient-rpc, so nothing is audited.
 */
export function docsRoutes(): Router {
  const router = express.Router();
  const assets = express.Router();
  const serveAsset = express.static(SWAGGER_UI_DIR, { index: false, redirect: false, dotfiles: 'deny' });

  router.get('/docs', docsHeaders, (req, res) => {
    // /docs/ would resolve the page's relative URLs under /docs/docs/.
    if (req.path.endsWith('/')) return res.redirect(301, '../docs');
    res.type('html').send(PAGE);
  });
  assets.get('/:asset', (req, res, next) => {
    const { asset } = req.params as { asset: string };
    // Answered here: the path has a route template, but no file of the package behind it.
    if (asset !== 'swagger-initializer.js' && !PACKAGE_ASSETS.has(asset))
      throw new HttpProblem({
        status: 404,
        title: 'Not found',
        detail: `no route for ${req.method} ${req.baseUrl}${req.path}`,
        reason: 'no_route',
      });
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    if (asset === 'swagger-initializer.js') return void res.type('text/javascript').send(INITIALIZER);
    serveAsset(req, res, next);
  });
  router.use('/docs', assets);
  return router;
}
