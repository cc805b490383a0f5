import { createHistogram, performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ApiConfig } from '../config.js';
import { HttpProblem } from './HttpProblem.js';

export interface LoadShedder {
  middleware: RequestHandler;
  stop(): void;
}

/**
 * How often the loop is probed: a fifth of the threshold, within 5..50 ms. A probe that
 * falls due during a block runs when it ends, so every block of the loop is measured to
 * within one probe interval, whatever its period.
 */
const probeIntervalMs = (config: ApiConfig['shedding']) =>
  Math.min(config.sampleIntervalMs, Math.max(5, Math.min(50, Math.floor(config.maxEventLoopDelayMs / 5))));

/**
 * Sheds new requests while this process is overloaded: once per sample interval, the p99
 * event-loop delay probed since the last decision must pass the threshold AND the loop must
 * have been busy (event-loop utilisation ≥ 0.9). Delay alone also rises when other
 * processes take the CPU, and refusing work then helps nobody. While overloaded, requests
 * get 503 with Retry-After at once instead of queueing to time out later.
 *
 * The delay is the lateness of a short probe timer, recorded by the probe itself, and the
 * decision is taken in the same callback. (Node's `monitorEventLoopDelay` drops the sample
 * that spans a `reset()`, and a sampler on a timer of its own measures only its own
 * lateness: a block that recurs with the sampler's period plus less than the threshold
 * stays in phase with it and was never seen.)
 */
export function createLoadShedder(config: ApiConfig['shedding'], registry: Registry): LoadShedder {
  const shed = new Counter({
    name: 'http_shed_total',
    help: 'Requests refused at once because the event loop was overloaded.',
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'http_shedding_event_loop_delay_seconds',
    help: 'Event-loop delay over the last shedding sample (p99 of the probe timer lateness).',
    registers: [registry],
  });
  if (!config.enabled) return { middleware: (_req, _res, next) => next(), stop: () => {} };

  const probeMs = probeIntervalMs(config);
  const lateness = createHistogram();
  let overloaded = false;
  let lastElu = performance.eventLoopUtilization();
  let armedAt = performance.now();
  let decideAt = armedAt + config.sampleIntervalMs;
  let timer: NodeJS.Timeout;

  const probe = () => {
    const now = performance.now();
    lateness.record(Math.max(1, Math.round((now - armedAt - probeMs) * 1000)));
    if (now >= decideAt) {
      const delayMs = lateness.percentile(99) / 1000;
      lateness.reset();
      const elu = performance.eventLoopUtilization(lastElu);
      lastElu = performance.eventLoopUtilization();
      lag.set(delayMs / 1000);
      overloaded = delayMs > config.maxEventLoopDelayMs && elu.utilization >= 0.9;
      decideAt = now + config.sampleIntervalMs;
    }
    armedAt = performance.now();
    timer = setTimeout(probe, probeMs).unref();
  };
  timer = setTimeout(probe, probeMs).unref();

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
      clearTimeout(timer);
    },
  };
}
