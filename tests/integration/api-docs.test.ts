// The API in a browser: GET /docs (Swagger UI from the installed swagger-ui-dist) in headless
// Chromium against a real patient-api and patient-rpc. Chromium is the Debian package that
// scripts/ensure-test-deps.sh installs; without it this suite fails rather than skips.
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, scrape, sampleValue } from '../support/metrics.ts';
import { apiEnv, ROOT, rpcEnv, startService, type ServiceProcess } from '../support/services.ts';
import { createTestKeys, type TestKeys } from '../support/tokens.ts';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps calling home (updates, sync,
// safe browsing), which on a closed network is a stream of refused connections.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = join(ROOT, '.data', 'api-docs.png');

interface OpenApi {
  paths: Record<string, Record<string, { operationId: string }>>;
}

/** Every operation of the document as Swagger UI lists it: operationId, method and path. */
function operationsOf(doc: OpenApi): { operationId: string; method: string; path: string }[] {
  return Object.entries(doc.paths)
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ operationId: op.operationId, method, path })),
    )
    .sort((a, b) => a.operationId.localeCompare(b.operationId));
}

/** Starts headless Chromium on a fresh profile; fails (never skips) when it is not installed. */
async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(`${CHROMIUM} is missing: install the Debian package chromium (bash scripts/ensure-test-deps.sh)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'pm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What the functions run in the page use of it (the project compiles without the DOM lib). */
interface PageGlobals {
  cspViolations: string[];
  document: {
    addEventListener(
      type: 'securitypolicyviolation',
      listener: (e: { effectiveDirective: string; blockedURI: string; sourceFile: string; lineNumber: number }) => void,
    ): void;
    querySelectorAll(selector: string): { length: number };
  };
}

interface PageWatch {
  requests: string[];
  errors: string[];
  /** CSP violations as the page saw them (securitypolicyviolation events). */
  violations(): Promise<string[]>;
}

/** Records every request, console error, page error and CSP violation of `page`. */
async function watch(page: Page): Promise<PageWatch> {
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  // Runs before the page's own scripts and outside its CSP.
  await page.addInitScript(() => {
    const page = globalThis as unknown as PageGlobals;
    const seen: string[] = [];
    page.cspViolations = seen;
    page.document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  return {
    requests,
    errors,
    violations: () => page.evaluate(() => (globalThis as unknown as PageGlobals).cspViolations),
  };
}

describe('API docs in a browser (GET /docs, development default)', () => {
  let keys: TestKeys;
  let rpc: ServiceProcess;
  let api: ServiceProcess;
  let base: string;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let doc: OpenApi;

  beforeAll(async () => {
    keys = await createTestKeys();
    rpc = await startService('patient-rpc', { env: rpcEnv(keys.jwksFile, { PM_SEED__PATIENTS: '3' }) });
    api = await startService('patient-api', { env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile) });
    base = `http://127.0.0.1:${api.ports.http}`;
    doc = (await (await fetch(`${base}/openapi.json`)).json()) as OpenApi;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    expect(await api?.stop()).toBe(0);
    expect(await rpc?.stop()).toBe(0);
  });

  it('serves the document exactly as the lint checks it (scripts/tools/openapi.ts)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pm-openapi-')), 'openapi.json');
    await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'tools', 'openapi.ts'), file]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(doc);
  });

  it('lists every operation of /openapi.json, loading nothing from another origin, without errors or CSP violations', async () => {
    const page = await browser.context.newPage();
    const seen = await watch(page);
    const grpcCalls = await metricValue(api.ports.admin, 'grpc_client_handled_total');
    const audited = await metricValue(rpc.ports.admin, 'audit_append_duration_seconds_count');
    const unmatched = await metricValue(api.ports.admin, 'http_server_requests_total', { route: 'unmatched' });

    const response = await page.goto(`${base}/docs`);
    expect(response?.status()).toBe(200);
    const csp = response!.headers()['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp.split(';').find((d) => d.trim().startsWith('script-src'))).not.toContain('unsafe');
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThanOrEqual(10);
    // Swagger UI has rendered when every operation's block is there.
    await page.waitForFunction(
      (n) => (globalThis as unknown as PageGlobals).document.querySelectorAll('#swagger-ui .opblock').length === n,
      operations.length,
    );
    const listed = await page.$$eval('#swagger-ui .opblock', (blocks) =>
      blocks.map((b) => ({
        operationId: b.querySelector('.opblock-summary-operation-id')?.textContent?.trim() ?? '',
        method: b.querySelector('.opblock-summary-method')?.textContent?.trim().toLowerCase() ?? '',
        path: b.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '',
      })),
    );
    expect(listed.sort((a, b) => a.operationId.localeCompare(b.operationId))).toEqual(operations);
    await expect(page.title()).resolves.toBe('patient-mesh API');

    mkdirSync(join(ROOT, '.data'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // A schema opened too: its rendering is under the same policy.
    const schema = page
      .locator('#swagger-ui section.models article.json-schema-2020-12')
      .filter({ has: page.locator('.json-schema-2020-12__title', { hasText: /^Patient$/ }) });
    await schema.locator('.json-schema-2020-12-expand-deep-button').click();
    await schema.locator('.json-schema-2020-12-property').first().waitFor();

    expect(seen.requests.length).toBeGreaterThanOrEqual(3);
    expect(seen.requests.filter((url) => new URL(url).origin !== base)).toEqual([]);
    expect(seen.requests).toContain(`${base}/openapi.json`);
    expect(await seen.violations()).toEqual([]);
    expect(seen.errors).toEqual([]);

    // Nothing of the page reached patient-rpc, so nothing was audited; its requests are
    // labelled by the two docs route templates, never as unmatched and never by file.
    const metrics = await scrape(api.ports.admin);
    expect(sampleValue(metrics, 'grpc_client_handled_total')).toBe(grpcCalls);
    expect(await metricValue(rpc.ports.admin, 'audit_append_duration_seconds_count')).toBe(audited);
    expect(sampleValue(metrics, 'http_server_requests_total', { route: 'unmatched' })).toBe(unmatched);
    expect(sampleValue(metrics, 'http_server_requests_total', { route: '/docs', status_class: '2xx' })).toBe(1);
    expect(
      sampleValue(metrics, 'http_server_requests_total', { route: '/docs/:asset', status_class: '2xx' }),
    ).toBeGreaterThanOrEqual(2);
    expect(metrics).not.toMatch(/route="[^"]*swagger/);
    await page.close();
  });

  it('"Try it out" calls this origin with the bearer token pasted under Authorize', async () => {
    const token = await keys.token({ sub: 'dr-docs', roles: ['clinician'] });
    const page = await browser.context.newPage();
    const seen = await watch(page);
    await page.goto(`${base}/docs`);
    await page.locator('.auth-wrapper .authorize').click();
    await page.locator('.modal-ux input').fill(token);
    await page.locator('.modal-ux button.modal-btn.auth.authorize').click();
    await page.locator('.modal-ux button.btn-done').click();

    const operation = page.locator('#operations-patients-listPatients');
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('.try-out__btn').click();
    const [call] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/patients'),
      operation.locator('.execute').click(),
    ]);
    expect(new URL(call.url()).origin).toBe(base);
    expect(call.request().headers()['authorization']).toBe(`Bearer ${token}`);
    expect(call.status()).toBe(200);
    const body = (await call.json()) as { items: unknown[] };
    expect(body.items).toHaveLength(3);
    const shown = operation.locator('.live-responses-table tr.response .response-col_status').first();
    await shown.waitFor();
    expect((await shown.textContent())?.trim()).toBe('200');

    expect(seen.requests.filter((url) => new URL(url).origin !== base)).toEqual([]);
    expect(await seen.violations()).toEqual([]);
    expect(seen.errors).toEqual([]);
    await page.close();
  });

  it('keeps the API’s own responses on the stricter policy', async () => {
    for (const path of ['/openapi.json', '/api/v1/patients', '/no-such-path']) {
      const res = await fetch(`${base}${path}`);
      expect(res.headers.get('content-security-policy'), path).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    // Only the page's own files: not the package's demo page, which loads a remote document.
    for (const path of ['/docs/index.html', '/docs/swagger-initializer.js.map', '/docs/package.json']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { reason: string }).reason, path).toBe('no_route');
    }
  });
});

describe('GET /docs in production', () => {
  let keys: TestKeys;

  beforeAll(async () => {
    keys = await createTestKeys();
  });

  it('is 404 like any unknown path by default, and served when http.docs is set', async () => {
    const env = (extra: Record<string, string> = {}) =>
      apiEnv('127.0.0.1:1', keys.jwksFile, { PM_SERVICE__ENVIRONMENT: 'production', ...extra });
    const off = await startService('patient-api', { env: env() });
    try {
      const base = `http://127.0.0.1:${off.ports.http}`;
      for (const path of ['/docs', '/docs/swagger-ui-bundle.js', '/docs/swagger-initializer.js']) {
        const res = await fetch(`${base}${path}`);
        expect(res.status, path).toBe(404);
        expect(((await res.json()) as { reason: string }).reason).toBe('no_route');
      }
      expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
    } finally {
      expect(await off.stop()).toBe(0);
    }
    const on = await startService('patient-api', { env: env({ PM_HTTP__DOCS: 'true' }) });
    try {
      const res = await fetch(`http://127.0.0.1:${on.ports.http}/docs`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('docs/swagger-ui-bundle.js');
    } finally {
      expect(await on.stop()).toBe(0);
    }
  });
});
