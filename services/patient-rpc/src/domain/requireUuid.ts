import { UUID_PATTERN } from '../support/uuidv7.js';
import { InvalidInput } from './errors/InvalidInput.js';

/** `value` as a lower-case UUID; InvalidInput naming `field` when it is not one. */
export function requireUuid(field: string, value: string): string {
  if (!UUID_PATTERN.test(value)) throw new InvalidInput(field, 'must be a UUID');
  return value.toLowerCase();
}
