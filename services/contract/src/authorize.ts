/** Roles carried in the JWT `roles` claim. */
export const ROLES = ['clinician', 'auditor', 'importer'] as const;
export type Role = (typeof ROLES)[number];

/** Every operation on patient data, with the role that may perform it. */
export const ACTION_ROLE = {
  'patient.read': 'clinician',
  'patient.list': 'clinician',
  'patient.create': 'clinician',
  'questionnaire.submit': 'clinician',
  'audit.read': 'auditor',
  'audit.proof': 'auditor',
  'audit.consistency': 'auditor',
  'import.create': 'importer',
  'import.read': 'importer',
} as const satisfies Record<string, Role>;
export type Action = keyof typeof ACTION_ROLE;

/** The caller, as the verified claims of their bearer token name them. */
export interface Principal {
  sub: string;
  roles: readonly Role[];
}

/**
 * gRPC metadata from patient-api to patient-rpc: the end user's bearer token itself (which
 * patient-rpc verifies; nothing the caller merely asserts about itself is believed) and the
 * request id (taken only from an authenticated peer).
 */
export const CALL_METADATA = {
  authorization: 'authorization',
  requestId: 'x-request-id',
} as const;

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** The role under which `principal` may perform `action`, or undefined when denied. */
export function roleFor(principal: Principal, action: Action): Role | undefined {
  const needed = ACTION_ROLE[action];
  return principal.roles.includes(needed) ? needed : undefined;
}

/** How an audited call ended, as its audit record says. */
export const AUDIT_OUTCOMES = ['ok', 'not_found', 'denied', 'invalid', 'conflict', 'error'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];
