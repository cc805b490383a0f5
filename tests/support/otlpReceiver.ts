// A minimal OTLP/HTTP JSON trace receiver on loopback, for tests that read exported spans.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}

export interface OtlpSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
  events?: { attributes?: OtlpAttribute[] }[];
  resource: OtlpAttribute[];
}

export interface OtlpReceiver {
  endpoint: string;
  spans: OtlpSpan[];
  /** Raw request bodies, to search for strings that must never be exported. */
  bodies: string[];
  close(): Promise<void>;
}

interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: Omit<OtlpSpan, 'service' | 'resource'>[] }[];
  }[];
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: OtlpSpan[] = [];
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      bodies.push(text);
      if (req.url === '/v1/traces') {
        const body = JSON.parse(text) as ExportRequest;
        for (const rs of body.resourceSpans ?? []) {
          const resource = rs.resource?.attributes ?? [];
          const service = String(resource.find((a) => a.key === 'service.name')?.value['stringValue'] ?? '');
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? []) spans.push({ ...s, service, resource, attributes: s.attributes ?? [] });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Polls `check` every 50 ms, at most `tries` times; returns its first truthy result. */
export async function poll<T>(check: () => T | Promise<T>, tries = 200, what = 'condition'): Promise<NonNullable<T>> {
  for (let i = 0; i < tries; i++) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not met after ${tries} tries`);
}
