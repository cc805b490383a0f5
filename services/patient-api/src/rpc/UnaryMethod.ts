import type { Client, ClientReadableStream, ClientWritableStream } from '@grpc/grpc-js';
import { patientServiceMethods, type PatientServiceClient } from '@patient-mesh/contract';

/** The generated client's service methods, without grpc-js's own (close, makeUnaryRequest…). */
type ServiceMethodName = Exclude<keyof PatientServiceClient, keyof Client>;

/**
 * The unary methods of patient.v1.PatientService by their proto names (`GetPatient`; the
 * generated client also has `getPatient`), derived from the generated client: a method
 * added to the proto is callable once the types are regenerated, and nothing here lists
 * them. A streaming call returns a stream; a unary one only a call handle.
 */
export type UnaryMethod = {
  [K in ServiceMethodName]: K extends Capitalize<K>
    ? ReturnType<PatientServiceClient[K]> extends ClientWritableStream<never> | ClientReadableStream<never>
      ? never
      : K
    : never;
}[ServiceMethodName];

export type RequestOf<M extends UnaryMethod> = Parameters<PatientServiceClient[M]>[0];
export type ResponseOf<M extends UnaryMethod> =
  Parameters<PatientServiceClient[M]> extends [unknown, infer Callback]
    ? Callback extends (e: null, r?: infer R) => void
      ? NonNullable<R>
      : never
    : never;

/** The same methods at run time, in proto order, read from the proto itself. */
export function unaryMethods(): UnaryMethod[] {
  return patientServiceMethods()
    .filter((m) => m.unary)
    .map((m) => m.name as UnaryMethod);
}
