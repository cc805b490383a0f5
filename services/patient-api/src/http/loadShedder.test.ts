import { describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { createLoadShedder } from './loadShedder.js';
import { isHttpProblem } from './HttpProblem.js';

const busyFor = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // keep the event loop busy: the overload under test
  }
};

const run = (middleware: ReturnType<typeof createLoadShedder>['middleware']) => {
  try {
    let passed = false;
    void middleware({} as never, {} as never, () => (passed = true));
    return passed ? 'passed' : 'not called';
  } catch (error) {
    return isHttpProblem(error) ? error.init : error;
  }
};

describe('createLoadShedder', () => {
  it('lets requests through while the loop is healthy, sheds with 503 + Retry-After once it lags', async () => {
    const shedder = createLoadShedder(
      { enabled: true, maxEventLoopDelayMs: 50, sampleIntervalMs: 100 },
      new Registry(),
    );
    try {
      expect(run(shedder.middleware)).toBe('passed');
      busyFor(400);
      // The sampling timer that fell due during the block runs on the next turn.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(run(shedder.middleware)).toMatchObject({ status: 503, reason: 'shed', retryAfter: 1 });
    } finally {
      shedder.stop();
    }
  });

  it('sees a block that recurs in phase with its sampling (300 ms of every 310, threshold 100, sample 250)', async () => {
    const registry = new Registry();
    const shedder = createLoadShedder({ enabled: true, maxEventLoopDelayMs: 100, sampleIntervalMs: 250 }, registry);
    const delayGauge = registry.getSingleMetric('http_shedding_event_loop_delay_seconds')!;
    const seen: { answer: unknown; delaySeconds: number }[] = [];
    try {
      // Each stall starts 10 ms after the last ended; the sampler of old fired at the end of
      // every stall, 60 ms late by its own clock, and never shed.
      await new Promise<void>((resolve) => {
        const stall = setInterval(async () => {
          seen.push({
            answer: run(shedder.middleware),
            delaySeconds: (await delayGauge.get()).values[0]!.value,
          });
          if (seen.length === 6) {
            clearInterval(stall);
            resolve();
          }
          busyFor(300);
        }, 310);
      });
      // The first stall's answer comes before any stall was measured.
      for (const { answer, delaySeconds } of seen.slice(2)) {
        expect(answer).toMatchObject({ status: 503, reason: 'shed' });
        expect(delaySeconds).toBeGreaterThan(0.2);
      }
      // Once the loop runs freely, the next decision lets requests through again.
      await vi.waitFor(() => expect(run(shedder.middleware)).toBe('passed'), { timeout: 5_000, interval: 50 });
    } finally {
      shedder.stop();
    }
  });

  it('never sheds when disabled, through the overload that sheds when enabled', async () => {
    const shedder = createLoadShedder(
      { enabled: false, maxEventLoopDelayMs: 50, sampleIntervalMs: 100 },
      new Registry(),
    );
    try {
      busyFor(400);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(run(shedder.middleware)).toBe('passed');
    } finally {
      shedder.stop();
    }
  });
});
