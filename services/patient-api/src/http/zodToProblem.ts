import type { z } from 'zod';
import type { HttpProblemInit } from './HttpProblem.js';

/** Where in the request a validated value came from: the first segment of every field path. */
export type RequestLocation = 'body' | 'query' | 'params';

/** A 400 listing every invalid field by its path in the request (`body.answers[2]`, `query.limit`). */
export function zodToProblem(error: z.ZodError, location: RequestLocation): HttpProblemInit {
  const errors = error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    const message = issue.code === 'unrecognized_keys' ? `unknown field: ${issue.keys.join(', ')}` : issue.message;
    return { path: formatPath(location, path), message };
  });
  return { status: 400, title: 'Invalid request', reason: 'validation', detail: errors[0]!.message, errors };
}

/** Formats a zod-style path as `body.answers[2]`. */
export function formatPath(location: string, path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    location,
  );
}
