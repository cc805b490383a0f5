import type { z } from 'zod';
import { loadConfig } from './config/loadConfig.js';
import { isConfigError } from './errors/ConfigError.js';
import { createLifecycle, type Lifecycle } from './lifecycle/Lifecycle.js';
import { createLogger, type Logger } from './logger.js';
import { createRegistry, type Registry } from './metrics.js';

/** What every service's composition root starts from. */
export interface ServiceBase<C> {
  config: C;
  logger: Logger;
  registry: Registry;
  lifecycle: Lifecycle;
}

type BaseConfig = { log: { level: string }; lifecycle: { shutdownTimeoutSeconds: number; idleSocketQuietMs: number } };

/**
 * The first steps of a service's `main()`: config (YAML from `--config` or `CONFIG_FILE`,
 * `PM_*` overrides; a bad value exits 78, EX_CONFIG, naming key, source and reason), the
 * root logger, the metrics registry and the lifecycle with its signal handlers.
 * `PM_TEST_DISABLE_DRAIN=1` is the tests' negative control: a plain `server.close()`.
 */
export function bootstrapService<S extends z.ZodType<BaseConfig>>(
  name: string,
  schema: S,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServiceBase<z.infer<S>> {
  let config: z.infer<S>;
  try {
    const flag = argv.indexOf('--config');
    config = loadConfig(schema, { file: flag >= 0 ? argv[flag + 1] : undefined, env });
  } catch (error) {
    if (!isConfigError(error)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(78);
  }
  const logger = createLogger(config.log as Parameters<typeof createLogger>[0], { name });
  const registry = createRegistry(name);
  const lifecycle = createLifecycle(
    { ...config.lifecycle, drain: env['PM_TEST_DISABLE_DRAIN'] !== '1' },
    { logger, registry },
  );
  lifecycle.listen();
  return { config, logger, registry, lifecycle };
}
