const brand = Symbol.for('patient-mesh.InvalidInput');

/** A request the domain refuses as it stands: `field` names what is wrong (dotted path). */
export class InvalidInput extends Error {
  readonly [brand] = true;
  override readonly name = 'InvalidInput';

  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

export const isInvalidInput = (e: unknown): e is InvalidInput => typeof e === 'object' && e !== null && brand in e;
