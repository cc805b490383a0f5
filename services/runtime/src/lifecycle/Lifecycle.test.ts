import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { recordingLogger } from '../testing/recordingLogger.js';
import { Lifecycle } from './Lifecycle.js';

const phaseLines = async (registry: Registry) =>
  (await registry.metrics()).split('\n').filter((l) => l.startsWith('lifecycle_shutdown_phase_seconds{'));

describe('Lifecycle metrics', () => {
  it('renders every registered shutdown phase at 0 before any shutdown, then its duration', async () => {
    const registry = new Registry();
    let exitCode: number | undefined;
    const lifecycle = new Lifecycle(
      { shutdownTimeoutSeconds: 5, idleSocketQuietMs: 10 },
      { logger: recordingLogger().logger, registry, exit: (code) => (exitCode = code) },
    );
    lifecycle.addDrainStep('grpc', async () => {});
    lifecycle.addCloseStep('database', () => new Promise((resolve) => setImmediate(resolve)));

    expect(await phaseLines(registry)).toEqual([
      'lifecycle_shutdown_phase_seconds{phase="grpc"} 0',
      'lifecycle_shutdown_phase_seconds{phase="database"} 0',
    ]);

    expect(await lifecycle.shutdown('test')).toBe(0);
    expect(exitCode).toBe(0);
    const database = (await phaseLines(registry)).find((l) => l.includes('phase="database"'))!;
    expect(Number(database.split(' ')[1])).toBeGreaterThan(0);
  });
});

describe('Lifecycle, on a fake clock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    // The shutdown budget is an AbortSignal.timeout, which runs on Node's own timers: put it
    // on the fake clock.
    vi.spyOn(AbortSignal, 'timeout').mockImplementation((ms) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')), ms);
      return controller.signal;
    });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  function setup(shutdownTimeoutSeconds = 5) {
    const registry = new Registry();
    const log = recordingLogger();
    const exits: number[] = [];
    const lifecycle = new Lifecycle(
      { shutdownTimeoutSeconds, idleSocketQuietMs: 10 },
      { logger: log.logger, registry, exit: (code) => exits.push(code) },
    );
    const metric = async (name: string) =>
      (await registry.metrics())
        .split('\n')
        .find((l) => l.startsWith(`${name} `))
        ?.split(' ')[1];
    return { lifecycle, log, exits, metric, messages: () => log.records.map((r) => r.msg) };
  }

  /** A step the test finishes: `started` once it runs, settled by `finish` or `fail`. */
  function step(events: string[], name: string) {
    let finish!: () => void;
    let fail!: (error: Error) => void;
    const s = {
      started: false,
      signal: undefined as AbortSignal | undefined,
      run: (signal: AbortSignal) => {
        s.started = true;
        s.signal = signal;
        events.push(`${name} started`);
        return new Promise<void>((resolve, reject) => {
          finish = () => {
            events.push(`${name} done`);
            resolve();
          };
          fail = reject;
        });
      },
      finish: () => finish(),
      fail: (error: Error) => fail(error),
    };
    return s;
  }

  it('goes starting → ready → draining → stopped, readiness saying why not at each step', async () => {
    const { lifecycle, exits, metric, messages } = setup();
    expect(lifecycle.state).toBe('starting');
    expect(await lifecycle.notReadyReason()).toBe('starting');
    expect(await metric('lifecycle_state')).toBe('0');

    lifecycle.markReady();
    expect(lifecycle.state).toBe('ready');
    expect(await lifecycle.isReady()).toBe(true);
    expect(await metric('lifecycle_state')).toBe('1');
    expect(messages()).toContain('ready');

    let store: boolean | string = 'store unreachable';
    lifecycle.addReadinessCheck(async () => store);
    expect(await lifecycle.notReadyReason()).toBe('store unreachable');
    store = false;
    expect(await lifecycle.notReadyReason()).toBe('readiness check failed');
    store = true;
    expect(await lifecycle.notReadyReason()).toBeUndefined();

    const events: string[] = [];
    const drain = step(events, 'http');
    lifecycle.addDrainStep('http', drain.run);
    const done = lifecycle.shutdown('SIGTERM');
    // Not ready from the moment the shutdown starts, whatever the checks say.
    expect(lifecycle.state).toBe('draining');
    expect(await lifecycle.notReadyReason()).toBe('draining');
    expect(await metric('lifecycle_state')).toBe('2');
    // markReady cannot undo a drain.
    lifecycle.markReady();
    expect(lifecycle.state).toBe('draining');

    drain.finish();
    expect(await done).toBe(0);
    expect(lifecycle.state).toBe('stopped');
    expect(await metric('lifecycle_state')).toBe('3');
    expect(await lifecycle.notReadyReason()).toBe('stopped');
    expect(exits).toEqual([0]);
  });

  it('runs every drain at once, then the close steps one by one in the order added, then exits 0', async () => {
    const { lifecycle, exits, messages } = setup();
    const events: string[] = [];
    const [http, grpc, audit, database] = ['http', 'grpc', 'audit', 'database'].map((n) => step(events, n));
    lifecycle.addDrainStep('http', http!.run);
    lifecycle.addCloseStep('audit', audit!.run);
    lifecycle.addDrainStep('grpc', grpc!.run);
    lifecycle.addCloseStep('database', database!.run);
    lifecycle.markReady();

    const done = lifecycle.shutdown('SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['http started', 'grpc started']);
    grpc!.finish();
    await vi.advanceTimersByTimeAsync(1000);
    // A close step waits for every drain.
    expect(audit!.started).toBe(false);
    http!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(events.slice(3)).toEqual(['http done', 'audit started']);
    expect(database!.started).toBe(false);
    audit!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(database!.started).toBe(true);
    expect(exits).toEqual([]);
    database!.finish();
    expect(await done).toBe(0);
    expect(events).toEqual([
      'http started',
      'grpc started',
      'grpc done',
      'http done',
      'audit started',
      'audit done',
      'database started',
      'database done',
    ]);
    expect(exits).toEqual([0]);
    expect(messages().filter((m) => m !== 'shutdown phase done')).toEqual(['ready', 'draining', 'stopped']);
  });

  it('logs a step that fails and goes on with the next', async () => {
    const { lifecycle, exits, log } = setup();
    const events: string[] = [];
    const [grpc, database] = ['grpc', 'database'].map((n) => step(events, n));
    lifecycle.addDrainStep('grpc', grpc!.run);
    lifecycle.addCloseStep('database', database!.run);
    const done = lifecycle.shutdown('SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    grpc!.fail(new Error('tryShutdown failed'));
    await vi.advanceTimersByTimeAsync(0);
    expect(log.records.find((r) => r.msg === 'shutdown step failed')).toMatchObject({ level: 'error', phase: 'grpc' });
    expect(database!.started).toBe(true);
    database!.finish();
    expect(await done).toBe(0);
    expect(exits).toEqual([0]);
  });

  it('past shutdownTimeoutSeconds cuts what is left: the steps are told, the rest never runs, exit 1', async () => {
    const { lifecycle, exits, log, metric } = setup(5);
    const events: string[] = [];
    const [http, grpc, audit, database] = ['http', 'grpc', 'audit', 'database'].map((n) => step(events, n));
    lifecycle.addDrainStep('http', http!.run);
    lifecycle.addDrainStep('grpc', grpc!.run);
    lifecycle.addCloseStep('audit', audit!.run);
    lifecycle.addCloseStep('database', database!.run);
    let outcome: number | undefined;
    void lifecycle.shutdown('SIGTERM').then((code) => (outcome = code));
    await vi.advanceTimersByTimeAsync(0);
    grpc!.finish();
    await vi.advanceTimersByTimeAsync(4999);
    expect(outcome).toBeUndefined();
    expect(http!.signal!.aborted).toBe(false);
    expect(lifecycle.state).toBe('draining');

    await vi.advanceTimersByTimeAsync(1);
    expect(http!.signal!.aborted).toBe(true);
    expect(outcome).toBe(1);
    expect(exits).toEqual([1]);
    expect(lifecycle.state).toBe('stopped');
    expect(log.records.find((r) => r.msg === 'shutdown timed out, forcing exit')).toMatchObject({
      level: 'error',
      cutOff: ['http'],
      durationMs: 5000,
    });
    expect(await metric('lifecycle_shutdown_timeouts_total')).toBe('1');
    // The drain that ends late does not start the close steps.
    http!.finish();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(audit!.started).toBe(false);
    expect(database!.started).toBe(false);
    expect(exits).toEqual([1]);
  });

  it('cuts a close step that outlives the budget, and runs none after it', async () => {
    const { lifecycle, exits, log } = setup(2);
    const events: string[] = [];
    const [audit, database] = ['audit', 'database'].map((n) => step(events, n));
    lifecycle.addCloseStep('audit', audit!.run);
    lifecycle.addCloseStep('database', database!.run);
    const done = lifecycle.shutdown('SIGTERM');
    await vi.advanceTimersByTimeAsync(2000);
    expect(await done).toBe(1);
    expect(log.records.find((r) => r.msg === 'shutdown timed out, forcing exit')).toMatchObject({ cutOff: ['audit'] });
    audit!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(database!.started).toBe(false);
    expect(exits).toEqual([1]);
  });

  it('shuts down once however often it is asked; a second signal exits at once', async () => {
    const { lifecycle, exits, messages } = setup();
    const events: string[] = [];
    const http = step(events, 'http');
    lifecycle.addDrainStep('http', http.run);
    const signals = new EventEmitter();
    lifecycle.listen(signals as unknown as NodeJS.Process);

    signals.emit('SIGTERM', 'SIGTERM');
    expect(lifecycle.state).toBe('draining');
    expect(lifecycle.shutdown('again')).toBe(lifecycle.shutdown('and again'));
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['http started']);
    expect(exits).toEqual([]);

    signals.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
    expect(messages()).toContain('second signal, exiting at once');
    signals.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([130, 143]);
  });

  it('exits even when the logs cannot be flushed, a second later', async () => {
    const registry = new Registry();
    const { logger } = recordingLogger();
    const exits: number[] = [];
    const stuck = Object.assign(Object.create(logger) as typeof logger, { flush: () => {} });
    const lifecycle = new Lifecycle(
      { shutdownTimeoutSeconds: 5, idleSocketQuietMs: 10 },
      { logger: stuck, registry, exit: (code) => exits.push(code) },
    );
    await lifecycle.shutdown('SIGTERM');
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(999);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([0]);
  });
});
