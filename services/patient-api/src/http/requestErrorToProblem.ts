import { STATUS_CODES } from 'node:http';
import type { HttpProblemInit } from './HttpProblem.js';

/** The body-parser errors express raises, by their `type`. */
const BODY_ERRORS: Readonly<Record<string, HttpProblemInit>> = {
  'entity.parse.failed': { status: 400, title: 'Body is not valid JSON', reason: 'malformed_json' },
  'entity.too.large': { status: 413, title: 'Body too large', reason: 'body_too_large' },
  'encoding.unsupported': { status: 415, title: 'Unsupported content encoding', reason: 'unsupported_encoding' },
  'charset.unsupported': { status: 415, title: 'Unsupported charset', reason: 'unsupported_charset' },
  'request.aborted': { status: 400, title: 'Request aborted', reason: 'aborted' },
  'request.size.invalid': {
    status: 400,
    title: 'Body shorter or longer than its Content-Length',
    reason: 'bad_length',
  },
  // Set by jsonBody's verify step.
  'entity.utf8.invalid': {
    status: 400,
    title: 'Body is not valid UTF-8',
    detail: 'JSON bodies must be UTF-8; invalid byte sequences are refused, not replaced',
    reason: 'malformed_utf8',
  },
};

/**
 * The client errors express, its router and its body parsers raise: a body-parser error
 * by its `type`, an undecodable path parameter, and other http-errors (a 4xx `status`,
 * `expose`) such as a body that does not inflate. Undefined for anything else.
 */
export function requestErrorToProblem(error: unknown): HttpProblemInit | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type } = error as { type?: unknown };
  if (typeof type === 'string' && Object.hasOwn(BODY_ERRORS, type)) return BODY_ERRORS[type];
  // The router's (it sets status 400, not expose).
  if (error instanceof URIError && (error as { status?: unknown }).status === 400)
    return {
      status: 400,
      title: 'Malformed path',
      detail: 'a path segment is not valid percent-encoding',
      reason: 'malformed_path',
    };
  const { status, expose, code } = error as { status?: unknown; expose?: unknown; code?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499 || expose !== true) return undefined;
  if (typeof code === 'string' && code.startsWith('Z_'))
    return {
      status: 400,
      title: 'Body does not match its Content-Encoding',
      detail: 'the body could not be decompressed',
      reason: 'malformed_encoding',
    };
  return { status, title: STATUS_CODES[status] ?? 'Bad request', reason: 'bad_request' };
}
