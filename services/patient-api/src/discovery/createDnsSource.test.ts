import { describe, expect, it, vi } from 'vitest';
import { createDnsSource } from './createDnsSource.js';
import { recordSource } from './testing/recordSource.js';

/** A resolution function the test answers call by call. */
function scripted(...answers: Array<string[] | Error>) {
  const asked: string[] = [];
  return {
    asked,
    resolveAddresses: async (host: string): Promise<string[]> => {
      asked.push(host);
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const withCode = (code: string): Error => Object.assign(new Error(code), { code });

describe('createDnsSource', () => {
  it('resolves localhost through the system resolver', async () => {
    const r = recordSource(createDnsSource({ host: 'localhost', port: 50051 }));
    const first = await r.nextChange();
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((key) => key === '127.0.0.1:50051' || key === '[::1]:50051')).toBe(true);
    r.stop();
  });

  it('uses an IP literal as is', async () => {
    const r = recordSource(createDnsSource({ host: '127.0.0.9', port: 7, mode: 'resolve' }));
    expect(await r.nextChange()).toEqual(['127.0.0.9:7']);
    r.stop();
  });

  it('polls, and reports only when the address set changes', async () => {
    const dns = scripted(['127.0.0.2'], ['127.0.0.2'], ['127.0.0.3', '127.0.0.2'], ['127.0.0.2', '127.0.0.3']);
    const r = recordSource(
      createDnsSource({
        host: 'rpc.test',
        port: 50051,
        intervalMs: 5,
        resolveAddresses: dns.resolveAddresses,
      }),
    );
    expect(await r.nextChange()).toEqual(['127.0.0.2:50051']);
    expect(await r.nextChange()).toEqual(['127.0.0.2:50051', '127.0.0.3:50051']);
    expect(dns.asked.length).toBeGreaterThanOrEqual(3);
    expect(r.changes).toHaveLength(2);
    r.stop();
  });

  it('treats a name without addresses as an empty list', async () => {
    const dns = scripted(['127.0.0.2'], withCode('ENOTFOUND'));
    const r = recordSource(
      createDnsSource({
        host: 'rpc.test',
        port: 1,
        intervalMs: 5,
        resolveAddresses: dns.resolveAddresses,
      }),
    );
    await r.nextChange();
    expect(await r.nextChange()).toEqual([]);
    r.stop();
  });

  it('reports other failures as errors and keeps the last list', async () => {
    const dns = scripted(['127.0.0.2'], withCode('ETIMEOUT'), ['127.0.0.4']);
    const r = recordSource(
      createDnsSource({
        host: 'rpc.test',
        port: 1,
        intervalMs: 5,
        resolveAddresses: dns.resolveAddresses,
      }),
    );
    await r.nextChange();
    expect((await r.nextError()).message).toBe('ETIMEOUT');
    expect(await r.nextChange()).toEqual(['127.0.0.4:1']);
    expect(r.changes).toHaveLength(2);
    r.stop();
  });

  it('stops polling when stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const dns = scripted(['127.0.0.2']);
      const r = recordSource(
        createDnsSource({
          host: 'rpc.test',
          port: 1,
          intervalMs: 5,
          resolveAddresses: dns.resolveAddresses,
        }),
      );
      await r.nextChange();
      await vi.advanceTimersByTimeAsync(5);
      expect(dns.asked).toHaveLength(2);
      r.stop();
      await vi.advanceTimersByTimeAsync(100);
      expect(dns.asked).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
