import { describe, expect, it } from 'vitest';
import { requestErrorToProblem } from './requestErrorToProblem.js';

/** An http-errors error as body-parser raises it. */
const httpError = (status: number, fields: Record<string, unknown> = {}) =>
  Object.assign(new Error('raised'), { status, statusCode: status, expose: status < 500, ...fields });

describe('requestErrorToProblem', () => {
  it.each([
    ['entity.parse.failed', { status: 400, title: 'Body is not valid JSON', reason: 'malformed_json' }],
    ['entity.too.large', { status: 413, title: 'Body too large', reason: 'body_too_large' }],
    ['encoding.unsupported', { status: 415, title: 'Unsupported content encoding', reason: 'unsupported_encoding' }],
    ['charset.unsupported', { status: 415, title: 'Unsupported charset', reason: 'unsupported_charset' }],
    ['request.aborted', { status: 400, title: 'Request aborted', reason: 'aborted' }],
    [
      'request.size.invalid',
      { status: 400, title: 'Body shorter or longer than its Content-Length', reason: 'bad_length' },
    ],
    [
      'entity.utf8.invalid',
      {
        status: 400,
        title: 'Body is not valid UTF-8',
        detail: 'JSON bodies must be UTF-8; invalid byte sequences are refused, not replaced',
        reason: 'malformed_utf8',
      },
    ],
  ])('the body error %s', (type, problem) => {
    expect(requestErrorToProblem(httpError(400, { type }))).toEqual(problem);
  });

  it("the router's undecodable path parameter", () => {
    expect(requestErrorToProblem(Object.assign(new URIError('URI malformed'), { status: 400 }))).toEqual({
      status: 400,
      title: 'Malformed path',
      detail: 'a path segment is not valid percent-encoding',
      reason: 'malformed_path',
    });
    // A URIError the router did not mark is a bug of ours, not the client's.
    expect(requestErrorToProblem(new URIError('URI malformed'))).toBeUndefined();
  });

  it('a body that does not inflate (zlib), and any other exposed 4xx by its status', () => {
    expect(requestErrorToProblem(httpError(400, { code: 'Z_DATA_ERROR' }))).toEqual({
      status: 400,
      title: 'Body does not match its Content-Encoding',
      detail: 'the body could not be decompressed',
      reason: 'malformed_encoding',
    });
    expect(requestErrorToProblem(httpError(411))).toEqual({
      status: 411,
      title: 'Length Required',
      reason: 'bad_request',
    });
    // An unknown body-error type falls back to its status.
    expect(requestErrorToProblem(httpError(400, { type: 'constructor' }))).toEqual({
      status: 400,
      title: 'Bad Request',
      reason: 'bad_request',
    });
  });

  it('is no answer for a 5xx, an unexposed error, or something that is not an error', () => {
    expect(requestErrorToProblem(httpError(500))).toBeUndefined();
    expect(requestErrorToProblem(httpError(400, { expose: false }))).toBeUndefined();
    expect(requestErrorToProblem(new Error('boom'))).toBeUndefined();
    expect(requestErrorToProblem('entity.parse.failed')).toBeUndefined();
    expect(requestErrorToProblem(null)).toBeUndefined();
  });
});
