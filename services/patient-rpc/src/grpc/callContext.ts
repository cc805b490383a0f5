import { isSpanContextValid, trace } from '@opentelemetry/api';
import { status, type Metadata } from '@grpc/grpc-js';
import { ACTOR_METADATA, isRole, type Principal } from '@patient-mesh/runtime';
import { RpcError } from './RpcError.js';

const first = (metadata: Metadata, key: string): string => {
  const [value] = metadata.get(key);
  return typeof value === 'string' ? value : '';
};

/**
 * The caller patient-api authenticated, from call metadata. patient-rpc is reachable only
 * from patient-api (NetworkPolicy), which strips these keys from client input and sets them
 * from the verified token.
 */
export function principalFrom(metadata: Metadata): Principal {
  const sub = first(metadata, ACTOR_METADATA.sub).slice(0, 256);
  if (!sub) throw new RpcError(status.UNAUTHENTICATED, `missing ${ACTOR_METADATA.sub} metadata`);
  const roles = first(metadata, ACTOR_METADATA.roles)
    .split(',')
    .map((r) => r.trim())
    .filter(isRole);
  return { sub, roles };
}

export function requestIdFrom(metadata: Metadata): string {
  return first(metadata, ACTOR_METADATA.requestId).slice(0, 128);
}

/**
 * The trace id of the call: the active span's when tracing is on, else the W3C trace id
 * from a `traceparent` header, or '' when absent or malformed.
 */
export function traceIdFrom(metadata: Metadata): string {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && isSpanContextValid(active)) return active.traceId;
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(first(metadata, 'traceparent'));
  return match?.[1] ?? '';
}
