const brand = Symbol.for('patient-mesh.NotFound');

/** What the request names does not exist (a patient, an import job, a record a proof needs). */
export class NotFound extends Error {
  readonly [brand] = true;
  override readonly name = 'NotFound';
}

export const isNotFound = (e: unknown): e is NotFound => typeof e === 'object' && e !== null && brand in e;
