import type { z } from 'zod';
import { HttpProblem } from './problem';

export type RequestPart = 'path' | 'query' | 'body';

/** Validates a request part with the schema that also types it; a 400 names every bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, part: RequestPart): z.infer<S> {
  const parsed = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (parsed.success) return parsed.data;
  throw new HttpProblem(400, 'Bad Request', `the request ${part} is invalid`, fieldErrors(parsed.error, part));
}

/** Each issue as `{ field: "body.pacing.messageInterval", message }` (unknown keys named one by one). */
export function fieldErrors(error: z.ZodError, part: string): Array<{ field: string; message: string }> {
  const all = error.issues.flatMap((issue) => {
    const at = [part, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ field: [...at, key].join('.'), message: 'is not a known field' }));
    // A record key (a custom field's name) that is not allowed: say which names are.
    if (issue.code === 'invalid_key')
      return [
        { field: at.join('.'), message: `is not an allowed name: ${issue.issues.map((i) => i.message).join('; ')}` },
      ];
    return [{ field: at.join('.'), message: issue.message }];
  });
  // Bounded: a body with thousands of bad keys gets the first ones, each name cut short.
  return all.slice(0, MAX_ERRORS).map(({ field, message }) => ({ field: field.slice(0, 200), message }));
}

const MAX_ERRORS = 50;
