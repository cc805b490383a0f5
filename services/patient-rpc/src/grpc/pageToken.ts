import { UUID_PATTERN } from '../support/uuidv7.js';
import { InvalidInput } from '../domain/errors/InvalidInput.js';

/** What a page continues after: a row's key, as the listing it belongs to spells it. */
export interface PageKey<K> {
  /** The key, or undefined when `text` is not one this listing issues. */
  parse(text: string): K | undefined;
  format(key: K): string;
}

/** Patients are listed by id. */
export const PATIENT_PAGES: PageKey<string> = {
  parse: (text) => (UUID_PATTERN.test(text) ? text : undefined),
  format: (id) => id,
};

/** Audit records are listed by seq. */
export const AUDIT_PAGES: PageKey<number> = {
  parse: (text) =>
    /^(0|[1-9][0-9]{0,15})$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined,
  format: (seq) => String(seq),
};

/** Opaque keyset cursors: the key of the last row of the previous page, base64url-encoded. */
export function encodePageToken<K>(pages: PageKey<K>, last: K): string {
  return Buffer.from(JSON.stringify({ after: pages.format(last) })).toString('base64url');
}

/** The key to continue after, or undefined for the first page; a forged token is InvalidInput. */
export function decodePageToken<K>(pages: PageKey<K>, token: string): K | undefined {
  if (token === '') return undefined;
  try {
    const { after } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    const key = typeof after === 'string' ? pages.parse(after) : undefined;
    if (key !== undefined) return key;
  } catch {
    // fall through
  }
  throw new InvalidInput('page_token', 'not one this service issued');
}
