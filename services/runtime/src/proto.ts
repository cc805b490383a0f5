import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
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

/** Loads patient.v1 with proto-loader; the result is typed by the generated code. */
export function loadPatientProto(): ProtoGrpcType {
  const definition = loadSync(PATIENT_PROTO, { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
  return loadPackageDefinition(definition) as unknown as ProtoGrpcType;
}

/** The raw package definition, for server reflection. */
export function loadPatientPackageDefinition() {
  return loadSync(PATIENT_PROTO, { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
}
