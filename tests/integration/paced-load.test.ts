// The benchmarks' paced load generator (wrk + bench/lib/paced.lua) against a local
// node:http server that could answer far faster: wrk sends on schedule, not as fast as
// it can, and its figures and error counts come back parsed.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPacedLoad } from '../../bench/lib/paced.ts';

describe('paced load (wrk)', () => {
  let server: Server;
  let url: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers['x-probe']}`);
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('keeps to the rate, cycles the paths, sends the headers and counts failed answers', async () => {
    const result = await runPacedLoad({
      url,
      rate: 200,
      durationS: 2,
      connections: 8,
      headers: { 'x-probe': 'yes' },
      paths: ['/a', '/missing'],
    });

    // On schedule: never more than the slots of the time wrk ran (it stops up to a tick
    // after the duration asked for; plus one per connection), where this server answers
    // thousands per second; most slots are used.
    expect(result.requests).toBeLessThanOrEqual(200 * result.durationS + 8);
    expect(result.requests).toBeGreaterThan(200);
    expect(seen.length).toBeGreaterThanOrEqual(result.requests);
    expect(new Set(seen)).toEqual(new Set(['/a yes', '/missing yes']));
    expect(result.non2xx).toBeGreaterThanOrEqual(Math.floor(result.requests / 2) - 8);
    expect(result.non2xx).toBeLessThanOrEqual(Math.ceil(result.requests / 2) + 8);
    expect(result.p50).toBeGreaterThan(0);
    expect(result.p99).toBeGreaterThanOrEqual(result.p50);
    expect(result.errors + result.timeouts).toBe(0);
  });
});
