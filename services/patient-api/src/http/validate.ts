import type { z } from 'zod';
import { HttpProblem } from './HttpProblem.js';
import { zodToProblem, type RequestLocation } from './zodToProblem.js';

/** Parses `value` with `schema` or throws a 400 problem listing every invalid field path. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, location: RequestLocation): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpProblem(zodToProblem(result.error, location));
}
