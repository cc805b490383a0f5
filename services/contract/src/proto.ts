import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType } from './gen/patient.js';

/** Must match the flags in scripts/gen-proto.mjs, which generates the types in ./gen. */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Directory holding `patient/v1/patient.proto` (the repo's `proto/`, or the image's `/app/proto`). */
export const PROTO_DIR = fileURLToPath(new URL('../../../proto/', import.meta.url));
export const PATIENT_PROTO = 'patient/v1/patient.proto';

/** The raw package definition (parsed .proto), for server reflection. */
export function loadPatientPackageDefinition(): PackageDefinition {
  return loadSync(PATIENT_PROTO, { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
}

/** patient.v1 as grpc-js objects, typed by the generated code; pass a definition already parsed to reuse it. */
export function loadPatientProto(definition: PackageDefinition = loadPatientPackageDefinition()): ProtoGrpcType {
  return loadPackageDefinition(definition) as unknown as ProtoGrpcType;
}

/** A method of patient.v1.PatientService as the proto declares it. */
export interface PatientServiceMethod {
  name: string;
  /** Neither side streams. */
  unary: boolean;
}

/** PatientService's methods in proto order: the known values of the `grpc_method` label. */
export function patientServiceMethods(proto: ProtoGrpcType = loadPatientProto()): PatientServiceMethod[] {
  return Object.entries(proto.patient.v1.PatientService.service).map(([name, method]) => ({
    name,
    unary: !method.requestStream && !method.responseStream,
  }));
}
