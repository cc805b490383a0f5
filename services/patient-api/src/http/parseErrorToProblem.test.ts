import { describe, expect, it } from 'vitest';
import { parseErrorToProblem } from './parseErrorToProblem.js';

describe('parseErrorToProblem', () => {
  it.each([
    [
      'HPE_HEADER_OVERFLOW',
      {
        status: 431,
        title: 'Request Header Fields Too Large',
        detail: 'the request line and headers are too large',
        reason: 'headers_too_large',
      },
    ],
    [
      'ERR_HTTP_REQUEST_TIMEOUT',
      {
        status: 408,
        title: 'Request Timeout',
        detail: 'the request headers did not arrive in time',
        reason: 'request_timeout',
      },
    ],
    [
      'HPE_HEADERS_TIMEOUT',
      {
        status: 408,
        title: 'Request Timeout',
        detail: 'the request headers did not arrive in time',
        reason: 'request_timeout',
      },
    ],
  ])('%s', (code, problem) => {
    expect(parseErrorToProblem(code)).toEqual(problem);
  });

  it.each(['HPE_INVALID_METHOD', 'HPE_INVALID_HEADER_TOKEN', 'toString', undefined])('%s: malformed HTTP', (code) => {
    expect(parseErrorToProblem(code)).toEqual({
      status: 400,
      title: 'Bad Request',
      detail: 'the request is not valid HTTP/1.1',
      reason: 'malformed_request',
    });
  });
});
