const brand = Symbol.for('patient-mesh.InvalidTargetError');

/** A discovery target string (`static:///…`, `dns-poll:///…`, `kubernetes:///…`) that does not parse. */
export class InvalidTargetError extends Error {
  readonly [brand] = true;
  override readonly name = 'InvalidTargetError';

  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`invalid discovery target ${target}: ${reason}`);
  }
}

export function isInvalidTargetError(e: unknown): e is InvalidTargetError {
  return typeof e === 'object' && e !== null && (e as { [brand]?: unknown })[brand] === true;
}
