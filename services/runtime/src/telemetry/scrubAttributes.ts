import type { Attributes, AttributeValue } from '@opentelemetry/api';

/** UUIDs (patient, import and request ids) in any string. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** Attribute keys that may carry credentials or patient data: dropped outright. */
const SENSITIVE_KEY = /authorization|token|cookie|patient|password|secret|given_?name|family_?name|birth|answers/i;
/** Query strings may carry ids or cursors; only the path is kept. */
const URL_KEYS = new Set(['http.url', 'url.full', 'http.target', 'url.query']);

/** Replaces ids in a string with `:id`. */
export function scrubString(value: string): string {
  return value.replace(UUID, ':id');
}

function scrubValue(key: string, value: AttributeValue): AttributeValue {
  if (typeof value === 'string') {
    if (URL_KEYS.has(key)) {
      const q = value.indexOf('?');
      return scrubString(q >= 0 ? value.slice(0, q) : value);
    }
    return scrubString(value);
  }
  if (Array.isArray(value))
    return value.map((v: unknown) => (typeof v === 'string' ? scrubString(v) : v)) as AttributeValue;
  return value;
}

/**
 * Removes patient identifiers and credentials from span attributes, in place: keys that
 * name credentials or patient fields are deleted, UUIDs in values become `:id`, and query
 * strings are cut from URLs. Returns the same object.
 */
export function scrubAttributes(attributes: Attributes): Attributes {
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (SENSITIVE_KEY.test(key)) delete attributes[key];
    else if (value !== undefined) attributes[key] = scrubValue(key, value);
  }
  return attributes;
}
