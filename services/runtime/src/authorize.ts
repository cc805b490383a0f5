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
  'import.create': 'importer',
  'import.read': 'importer',
} as const satisfies Record<string, Role>;
export type Action = keyof typeof ACTION_ROLE;

/** The authenticated caller, as patient-api forwards it to patient-rpc. */
export interface Principal {
  sub: string;
  roles: readonly Role[];
}

/** gRPC metadata keys carrying the caller from patient-api to patient-rpc. */
export const ACTOR_METADATA = {
  sub: 'x-actor-sub',
  roles: 'x-actor-roles',
  requestId: 'x-request-id',
} as const;

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** The role under which `principal` may perform `action`, or undefined when denied. */
export function roleFor(principal: Principal, action: Action): Role | undefined {
  const needed = ACTION_ROLE[action];
  return principal.roles.includes(needed) ? needed : undefined;
}
