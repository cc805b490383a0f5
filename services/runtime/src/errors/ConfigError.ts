const brand = Symbol.for('patient-mesh.ConfigError');

/** A configuration value that failed validation: names the key, where it came from and why. */
export class ConfigError extends Error {
  readonly [brand] = true;
  override readonly name = 'ConfigError';

  constructor(
    readonly key: string,
    readonly source: string,
    readonly reason: string,
  ) {
    super(`invalid config: ${key || '(root)'} (from ${source}): ${reason}`);
  }
}

export const isConfigError = (e: unknown): e is ConfigError => typeof e === 'object' && e !== null && brand in e;
