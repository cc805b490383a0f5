import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { formatPath, zodToProblem } from './zodToProblem.js';

const schema = z.strictObject({
  limit: z.int().min(1),
  answers: z.array(z.int().max(3)),
  nested: z.strictObject({ code: z.string() }).optional(),
});
const problemOf = (value: unknown, location: 'body' | 'query' | 'params' = 'body') =>
  zodToProblem(schema.safeParse(value).error!, location);

describe('zodToProblem', () => {
  it('is a 400 naming every invalid field by its path in the request; the first message is the detail', () => {
    expect(problemOf({ limit: 0, answers: [1, 7, 9] })).toEqual({
      status: 400,
      title: 'Invalid request',
      reason: 'validation',
      detail: 'Too small: expected number to be >=1',
      errors: [
        { path: 'body.limit', message: 'Too small: expected number to be >=1' },
        { path: 'body.answers[1]', message: 'Too big: expected number to be <=3' },
        { path: 'body.answers[2]', message: 'Too big: expected number to be <=3' },
      ],
    });
  });

  it('names an unknown field by its own path, under its location', () => {
    expect(problemOf({ limit: 1, answers: [], page: 2, sort: 'x' }, 'query').errors).toEqual([
      { path: 'query.page', message: 'unknown field: page, sort' },
    ]);
    expect(problemOf({ limit: 1, answers: [], nested: { code: 'a', extra: 1 } }).errors).toEqual([
      { path: 'body.nested.extra', message: 'unknown field: extra' },
    ]);
  });

  it('names a missing value', () => {
    expect(problemOf({ answers: [] }, 'params').errors).toEqual([
      { path: 'params.limit', message: 'Invalid input: expected number, received undefined' },
    ]);
  });
});

describe('formatPath', () => {
  it.each([
    [[], 'body'],
    [['a'], 'body.a'],
    [['answers', 0], 'body.answers[0]'],
    [['a', 2, 'b', 3], 'body.a[2].b[3]'],
  ])('%o → %s', (path, expected) => {
    expect(formatPath('body', path)).toBe(expected);
  });
});
