import { status } from '@grpc/grpc-js';
import type { PatientServiceHandlers } from '@patient-mesh/runtime';

/** Placeholder handlers for the bulk-import methods until the import pipeline is wired. */
export function unimplementedImports(): Pick<PatientServiceHandlers, 'ImportResponses' | 'GetImport'> {
  return {
    ImportResponses: (_call, callback) =>
      callback({ code: status.UNIMPLEMENTED, details: 'bulk import is not available' }),
    GetImport: (_call, callback) => callback({ code: status.UNIMPLEMENTED, details: 'bulk import is not available' }),
  };
}
