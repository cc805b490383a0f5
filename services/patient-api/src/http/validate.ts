import type { z } from 'zod';
import { formatPath, HttpProblem } from './HttpProblem.js';

/** Parses `value` with `schema` or throws a 400 problem listing every invalid field path. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  location: 'body' | 'query' | 'params',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    const message = issue.code === 'unrecognized_keys' ? `unknown field: ${issue.keys.join(', ')}` : issue.message;
    return { path: formatPath(location, path), message };
  });
  throw new HttpProblem({
    status: 400,
    title: 'Invalid request',
    reason: 'validation',
    detail: errors[0]!.message,
    errors,
  });
}
