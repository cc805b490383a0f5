// patient-rpc's library surface, for scripts (the service itself starts from main.ts).
export {
  verifyAuditTrail,
  verifyProofDocument,
  type AuditVerifyOptions,
  type ProofDocument,
} from './tools/auditVerify.js';
export { verifyCheckpoint } from './audit/ledger/checkpoint.js';
export type { NewPatient } from './domain/NewPatient.js';
export { syntheticPatients } from './seed/syntheticPatients.js';
export { seededRandom } from './seed/seededRandom.js';
