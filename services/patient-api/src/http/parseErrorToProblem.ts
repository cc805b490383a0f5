import { STATUS_CODES } from 'node:http';
import type { HttpProblemInit } from './HttpProblem.js';

/** Why Node's HTTP parser refused a request, as `reason` and in `http_server_rejected_total`. */
export const PARSE_REASONS = ['malformed_request', 'headers_too_large', 'request_timeout'] as const;
export type ParseReason = (typeof PARSE_REASONS)[number];

const timedOut = {
  status: 408,
  reason: 'request_timeout',
  detail: 'the request headers did not arrive in time',
} as const;

/** Node's HTTP parser errors by `code`, as the client is told. */
const PARSE_ERRORS: Readonly<Record<string, { status: number; reason: ParseReason; detail: string }>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'headers_too_large',
    detail: 'the request line and headers are too large',
  },
  ERR_HTTP_REQUEST_TIMEOUT: timedOut,
  HPE_HEADERS_TIMEOUT: timedOut,
};

const MALFORMED = { status: 400, reason: 'malformed_request', detail: 'the request is not valid HTTP/1.1' } as const;

/** The problem for a request Node's parser refused (its `clientError`); anything unknown is malformed HTTP. */
export function parseErrorToProblem(code: string | undefined): HttpProblemInit & { reason: ParseReason } {
  const known = code !== undefined && Object.hasOwn(PARSE_ERRORS, code) ? PARSE_ERRORS[code] : undefined;
  const { status, reason, detail } = known ?? MALFORMED;
  return { status, title: STATUS_CODES[status]!, detail, reason };
}
