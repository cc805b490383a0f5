import { describe, expect, it } from 'vitest';
import { isInvalidInput } from '../domain/errors/InvalidInput.js';
import { AUDIT_PAGES, decodePageToken, encodePageToken, PATIENT_PAGES } from './pageToken.js';

const ID = '0190b6a4-6f1e-7c3a-9d2b-4e5f6a7b8c9d';
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return isInvalidInput(error) ? { field: error.field, message: error.message } : error;
  }
  return 'accepted';
};

describe('page tokens', () => {
  it('round-trips the key of either listing; an empty token is the first page', () => {
    expect(decodePageToken(PATIENT_PAGES, encodePageToken(PATIENT_PAGES, ID))).toBe(ID);
    expect(decodePageToken(AUDIT_PAGES, encodePageToken(AUDIT_PAGES, 4711))).toBe(4711);
    expect(decodePageToken(AUDIT_PAGES, encodePageToken(AUDIT_PAGES, 0))).toBe(0);
    expect(decodePageToken(PATIENT_PAGES, '')).toBeUndefined();
    expect(decodePageToken(AUDIT_PAGES, '')).toBeUndefined();
  });

  const b64 = (text: string) => Buffer.from(text).toString('base64url');
  it.each([
    ['not base64 JSON', 'garbage'],
    ['JSON without after', b64('{}')],
    ['a number, not text', b64('{"after":12}')],
    ['an audit token', encodePageToken(AUDIT_PAGES, 12)],
    ['not a uuid', b64('{"after":"x"}')],
  ])('a patient page refuses %s as InvalidInput on page_token', (_what, token) => {
    expect(refusal(() => decodePageToken(PATIENT_PAGES, token))).toEqual({
      field: 'page_token',
      message: 'page_token: not one this service issued',
    });
  });

  it.each([
    ['a patient token', encodePageToken(PATIENT_PAGES, ID)],
    ['a negative seq', b64('{"after":"-1"}')],
    ['a seq past 2^53', b64('{"after":"9007199254740993"}')],
    ['a leading zero', b64('{"after":"012"}')],
    ['the old bare-number form', b64('12')],
  ])('an audit page refuses %s', (_what, token) => {
    expect(refusal(() => decodePageToken(AUDIT_PAGES, token))).toMatchObject({ field: 'page_token' });
  });
});
