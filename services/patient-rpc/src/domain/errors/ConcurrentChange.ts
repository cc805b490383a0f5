const brand = Symbol.for('patient-mesh.ConcurrentChange');

/** What the request depends on changed while it ran; the same request may succeed when retried. */
export class ConcurrentChange extends Error {
  readonly [brand] = true;
  override readonly name = 'ConcurrentChange';
}

export const isConcurrentChange = (e: unknown): e is ConcurrentChange =>
  typeof e === 'object' && e !== null && brand in e;
