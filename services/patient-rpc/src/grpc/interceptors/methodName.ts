/** The method's name as the proto declares it (the `grpc_method` label): '/patient.v1.PatientService/GetPatient' → 'GetPatient'. */
export const methodName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
