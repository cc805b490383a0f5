import { describe, expect, it } from 'vitest';
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
