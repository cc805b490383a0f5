import { connect } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './testing/testApp.js';

let app: TestApp;
let clinician: string;

beforeAll(async () => {
  app = await startTestApp({ http: { bodyLimitBytes: 1024 } });
  clinician = await app.keys.token();
});
afterAll(() => app.close());

const post = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
  fetch(`${app.url}/api/v1/patients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${clinician}`, 'content-type': 'application/json', ...headers },
    body,
  });

/** Writes `request` on a connection of its own and reads the whole answer (the server closes it). */
async function raw(request: string): Promise<string> {
  const socket = connect(Number(new URL(app.url).port), '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.end(request);
  await once(socket, 'close');
  return Buffer.concat(chunks).toString();
}

describe('createApp refuses a body it cannot take, as problem+json', () => {
  it.each([
    {
      name: 'JSON that does not parse',
      send: () => post('{"trialId":'),
      status: 400,
      body: { title: 'Body is not valid JSON', reason: 'malformed_json' },
    },
    {
      name: 'a body over http.bodyLimitBytes',
      send: () => post(JSON.stringify({ givenName: 'x'.repeat(2000) })),
      status: 413,
      body: { title: 'Body too large', reason: 'body_too_large' },
    },
    {
      name: 'bytes that are not UTF-8',
      send: () => post(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])),
      status: 400,
      body: {
        title: 'Body is not valid UTF-8',
        reason: 'malformed_utf8',
        detail: 'JSON bodies must be UTF-8; invalid byte sequences are refused, not replaced',
      },
    },
    {
      name: 'a charset other than UTF-8',
      send: () => post('{}', { 'content-type': 'application/json; charset=utf-7' }),
      status: 415,
      body: { reason: 'unsupported_charset', detail: 'bodies are UTF-8; charset=utf-7 is not accepted' },
    },
    {
      name: 'a body that is not JSON',
      send: () => post('hello', { 'content-type': 'text/plain' }),
      status: 415,
      body: { reason: 'unsupported_media_type', detail: 'send application/json' },
    },
    {
      name: 'a gzip body that does not inflate',
      send: () => post('not gzip at all', { 'content-encoding': 'gzip' }),
      status: 400,
      body: { reason: 'malformed_encoding', title: 'Body does not match its Content-Encoding' },
    },
    {
      name: 'a Content-Encoding the parser does not know',
      send: () => post('{}', { 'content-encoding': 'compress' }),
      status: 415,
      body: { reason: 'unsupported_encoding', title: 'Unsupported content encoding' },
    },
    {
      name: 'a path segment that is not valid percent-encoding',
      send: () => fetch(`${app.url}/api/v1/patients/%E0%A4%A`, { headers: { authorization: `Bearer ${clinician}` } }),
      status: 400,
      body: { reason: 'malformed_path', title: 'Malformed path' },
    },
  ])('$name: $status', async ({ send, status, body }) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await res.json()).toMatchObject({ type: 'about:blank', status, ...body });
  });
});

describe('guardServer answers what Node refuses to parse as problem+json, and counts it', () => {
  it('a malformed request: 400 malformed_request, connection closed', async () => {
    const answer = await raw('GET /api/v1/patients HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    const body =
      '{"type":"about:blank","title":"Bad Request","status":400,"detail":"the request is not valid HTTP/1.1","reason":"malformed_request"}';
    expect(answer).toBe(
      'HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\n' +
        `Content-Length: ${body.length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  it('headers over the limit: 431 headers_too_large', async () => {
    const answer = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      type: 'about:blank',
      title: 'Request Header Fields Too Large',
      status: 431,
      detail: 'the request line and headers are too large',
      reason: 'headers_too_large',
    });
    const counted = (await app.registry.metrics())
      .split('\n')
      .filter((l) => l.startsWith('http_server_rejected_total{'));
    expect(counted).toEqual([
      'http_server_rejected_total{reason="connection_limit"} 0',
      'http_server_rejected_total{reason="malformed_request"} 1',
      'http_server_rejected_total{reason="headers_too_large"} 1',
      'http_server_rejected_total{reason="request_timeout"} 0',
    ]);
  });
});
