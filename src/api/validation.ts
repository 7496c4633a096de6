import type { z } from 'zod';
import { HttpProblem } from './problem';

/** Validates a request part with the schema that also types it; a 400 names every bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, part: 'body' | 'query'): z.infer<S> {
  const parsed = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({
    field: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new HttpProblem(400, 'Bad Request', `the request ${part} is invalid`, errors);
}

const OBJECT_ID = /^[a-f0-9]{24}$/;

/** A path id that cannot exist answers 404, like another company's id: ids cannot be probed. */
export function pathId(value: string | undefined, what: string): string {
  if (!value || !OBJECT_ID.test(value)) throw new HttpProblem(404, 'Not Found', `no such ${what}`);
  return value;
}
