import { UUID_PATTERN } from '../support/uuidv7.js';

/** Opaque keyset cursors: the last id of the previous page, base64url-encoded. */
export function encodePageToken(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

/** The id to continue after, or undefined for the first page; throws on a forged token. */
export function decodePageToken(token: string): string | undefined {
  if (token === '') return undefined;
  try {
    const { after } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof after === 'string' && UUID_PATTERN.test(after)) return after;
  } catch {
    // fall through
  }
  throw new RangeError('page token is not one this service issued');
}
