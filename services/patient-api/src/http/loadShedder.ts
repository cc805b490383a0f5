import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ApiConfig } from '../config.js';
import { HttpProblem } from './HttpProblem.js';

export interface LoadShedder {
  middleware: RequestHandler;
  stop(): void;
}

/**
 * Sheds new requests while this process is overloaded: each sample interval, the p99
 * event-loop delay must pass the threshold AND the loop must have been busy (event-loop
 * utilisation ≥ 0.9). Delay alone also rises when other processes take the CPU, and
 * refusing work then helps nobody. While overloaded, requests get 503 with Retry-After at
 * once instead of queueing to time out later.
 */
export function createLoadShedder(config: ApiConfig['shedding'], registry: Registry): LoadShedder {
  const shed = new Counter({
    name: 'http_shed_total',
    help: 'Requests refused at once because the event loop was overloaded.',
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'http_shedding_event_loop_delay_seconds',
    help: "Event-loop delay over the last shedding sample (p99, or the sampler's own lateness if larger).",
    registers: [registry],
  });
  if (!config.enabled) return { middleware: (_req, _res, next) => next(), stop: () => {} };

  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let overloaded = false;
  let lastElu = performance.eventLoopUtilization();
  let dueAt = performance.now() + config.sampleIntervalMs;
  const timer = setInterval(() => {
    // This callback's own lateness is the delay right now; the histogram adds the rest of the window.
    const now = performance.now();
    const delayMs = Math.max(now - dueAt, histogram.percentile(99) / 1e6);
    dueAt = now + config.sampleIntervalMs;
    histogram.reset();
    const elu = performance.eventLoopUtilization(lastElu);
    lastElu = performance.eventLoopUtilization();
    lag.set(delayMs / 1000);
    overloaded = delayMs > config.maxEventLoopDelayMs && elu.utilization >= 0.9;
  }, config.sampleIntervalMs).unref();

  return {
    middleware(_req, _res, next) {
      if (overloaded) {
        shed.inc();
        throw new HttpProblem({
          status: 503,
          title: 'Overloaded',
          detail: 'try again shortly',
          reason: 'shed',
          retryAfter: 1,
        });
      }
      next();
    },
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
