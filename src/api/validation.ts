// Parses route parameters with zod; failures become invalid_input with zod's error tree.
import * as z from 'zod';
import { ApiError } from './errors.ts';

// Seam's wording: a missing parameter is "Required".
z.config({
  customError: (issue) =>
    issue.code === 'invalid_type' && issue.input === undefined ? 'Required' : undefined,
});

export function parseParams<T extends z.ZodType>(schema: T, params: unknown): z.infer<T> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const where = first && first.path.length > 0 ? ` for provided "${first.path.join('.')}"` : '';
  throw new ApiError(
    'invalid_input',
    `${first?.message ?? 'Invalid input'}${where}`,
    undefined,
    z.formatError(result.error),
  );
}

export const requestId = z.string().min(1).max(128).optional();
export const id = z.string().min(1).max(128);
const isoWithZone = z.iso.datetime({ offset: true });
export const instant = isoWithZone.transform((s) => Date.parse(s));
export const pin = z.string().regex(/^\d+$/, 'must contain only digits 0-9').max(32);
