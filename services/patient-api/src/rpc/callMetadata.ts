import { Metadata } from '@grpc/grpc-js';
import { CALL_METADATA } from '@patient-mesh/contract';

/** What patient-rpc authenticates, authorises and audits a call by: the user's token and the request id. */
export function callMetadata(token: string, requestId: string): Metadata {
  const metadata = new Metadata();
  metadata.set(CALL_METADATA.authorization, `Bearer ${token}`);
  metadata.set(CALL_METADATA.requestId, requestId);
  return metadata;
}
