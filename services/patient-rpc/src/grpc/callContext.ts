import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { Metadata } from '@grpc/grpc-js';
import { CALL_METADATA } from '@patient-mesh/contract';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export const firstValue = (metadata: Metadata, key: string): string => {
  const [value] = metadata.get(key);
  return typeof value === 'string' ? value : '';
};

/** The request id patient-api set (the same rule as its own: a safe token of at most 128 chars), or ''. */
export function requestIdFrom(metadata: Metadata): string {
  const value = firstValue(metadata, CALL_METADATA.requestId);
  return REQUEST_ID.test(value) ? value : '';
}

/**
 * The trace id of the call: the active span's when tracing is on, else the W3C trace id
 * from a `traceparent` header, or '' when absent or malformed.
 */
export function traceIdFrom(metadata: Metadata): string {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && isSpanContextValid(active)) return active.traceId;
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(firstValue(metadata, 'traceparent'));
  return match?.[1] ?? '';
}
