import { describe, expect, it } from 'vitest';
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
