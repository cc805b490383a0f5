import type { PatientServiceClient } from '@patient-mesh/contract';
import type { CallOptions } from './CallOptions.js';
import type { RequestOf, ResponseOf, UnaryMethod } from './UnaryMethod.js';

/** patient-rpc as the routes see it: unary calls under the policies, and the raw client for streams. */
export interface PatientClient {
  call<M extends UnaryMethod>(method: M, request: RequestOf<M>, options: CallOptions): Promise<ResponseOf<M>>;
  /** The underlying grpc-js client, for streaming calls. */
  readonly raw: PatientServiceClient;
  close(): void;
}
