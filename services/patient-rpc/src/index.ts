// patient-rpc's library surface, for scripts (the service itself starts from main.ts).
export { verifyAuditTrail, type AuditVerifyOptions } from './tools/auditVerify.js';
export { syntheticPatients, type NewPatient } from './domain/syntheticPatients.js';
export { seededRandom } from './domain/seededRandom.js';
