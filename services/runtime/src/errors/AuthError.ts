const brand = Symbol.for('patient-mesh.AuthError');

/** A bearer token that did not verify; `reason` is safe to show the caller. */
export class AuthError extends Error {
  readonly [brand] = true;
  override readonly name = 'AuthError';

  constructor(readonly reason: string) {
    super(reason);
  }
}

export const isAuthError = (e: unknown): e is AuthError => typeof e === 'object' && e !== null && brand in e;
