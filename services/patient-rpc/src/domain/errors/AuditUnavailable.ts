const brand = Symbol.for('patient-mesh.AuditUnavailable');

/**
 * The audit record of an access could not be stored, so the access is not served: no
 * patient data leaves unrecorded. `cause` is why the append failed (often a store failure).
 */
export class AuditUnavailable extends Error {
  readonly [brand] = true;
  override readonly name = 'AuditUnavailable';

  constructor(cause: unknown) {
    super('audit trail unavailable', { cause });
  }
}

export const isAuditUnavailable = (e: unknown): e is AuditUnavailable =>
  typeof e === 'object' && e !== null && brand in e;
