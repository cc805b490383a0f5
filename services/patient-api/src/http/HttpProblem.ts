const brand = Symbol.for('patient-mesh.HttpProblem');

/** One invalid field: `path` like `body.answers[2]`. */
export interface FieldError {
  path: string;
  message: string;
}

export interface HttpProblemInit {
  status: number;
  title: string;
  detail?: string;
  /** A machine-readable cause, e.g. `breaker_open`, `shed`, `rpc_unavailable`. */
  reason?: string;
  errors?: FieldError[];
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  headers?: Record<string, string>;
}

/** An error answered as RFC 9457 problem+json by the one error middleware. */
export class HttpProblem extends Error {
  readonly [brand] = true;
  override readonly name = 'HttpProblem';

  constructor(readonly init: HttpProblemInit) {
    super(init.detail ?? init.title);
  }
}

export const isHttpProblem = (e: unknown): e is HttpProblem => typeof e === 'object' && e !== null && brand in e;
