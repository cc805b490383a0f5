const brand = Symbol.for('patient-mesh.Conflict');

/** The request collides with what is stored (a subject code taken, a submission id reused); `field` names why. */
export class Conflict extends Error {
  readonly [brand] = true;
  override readonly name = 'Conflict';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export const isConflict = (e: unknown): e is Conflict => typeof e === 'object' && e !== null && brand in e;
