// Parameters that came as text (an HTTP query string: `device_id=…&access_code_ids=a&access_code_ids=b`)
// typed by the route's own schema, so that the route validates them exactly as it validates JSON.
// Seam's SDK writes an array as repeated keys (an empty array as one empty value), null as an
// empty value, and nested objects with dots; `_strict=true` rides along on every query.
import * as z from 'zod';
import { ROUTES } from './routes/index.ts';

/** Query keys that are not parameters: the SDK's `_strict`. */
const IGNORED = new Set(['_strict']);

type Shape = 'string' | 'number' | 'boolean' | 'array' | 'unknown';

interface FieldType {
  shape: Shape;
  nullable: boolean;
  element: FieldType | null;
}

function fieldType(schema: z.ZodType): FieldType {
  let inner: z.ZodType = schema;
  let nullable = false;
  for (;;) {
    if (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
    else if (inner instanceof z.ZodNullable) {
      nullable = true;
      inner = inner.unwrap() as z.ZodType;
    } else if (inner instanceof z.ZodPipe) inner = inner.in as z.ZodType;
    else break;
  }
  if (inner instanceof z.ZodArray)
    return { shape: 'array', nullable, element: fieldType(inner.element as z.ZodType) };
  if (inner instanceof z.ZodNumber) return { shape: 'number', nullable, element: null };
  if (inner instanceof z.ZodBoolean) return { shape: 'boolean', nullable, element: null };
  if (inner instanceof z.ZodString || inner instanceof z.ZodEnum)
    return { shape: 'string', nullable, element: null };
  return { shape: 'unknown', nullable, element: null };
}

/** Text as the field's type; text that is not one stays text, for the schema to refuse clearly. */
function typed(text: string, type: FieldType): unknown {
  if (text === '' && type.nullable) return null;
  if (type.shape === 'number') {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  if (type.shape === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

/**
 * The route's parameters from `key=value` pairs. Unknown keys are kept as text (the route's strict
 * schema names them); a key given twice that is not an array stays a list (the schema refuses it).
 */
export function paramsFromText(route: string, pairs: Iterable<[string, string]>): Record<string, unknown> {
  const shape = ROUTES.get(route)?.params.shape ?? {};
  const grouped = new Map<string, string[]>();
  for (const [rawKey, value] of pairs) {
    // `ids[]=a` (PHP and qs style) means the same as `ids=a`.
    const key = rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey;
    if (IGNORED.has(key)) continue;
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  }
  const params: Record<string, unknown> = Object.create(null);
  for (const [key, values] of grouped) {
    const schema = Object.hasOwn(shape, key) ? (shape[key] as z.ZodType) : undefined;
    const type: FieldType = schema ? fieldType(schema) : { shape: 'unknown', nullable: false, element: null };
    let value: unknown;
    if (type.shape === 'array') {
      const element = type.element ?? { shape: 'unknown', nullable: false, element: null };
      value = values.length === 1 && values[0] === '' ? [] : values.map((v) => typed(v, element));
    } else if (values.length === 1) {
      value = typed(values[0]!, type);
    } else {
      value = values.map((v) => typed(v, type));
    }
    setPath(params, key, value);
  }
  return { ...params };
}

/** `a.b=1` is `{a: {b: 1}}`, as the SDK writes nested objects. */
function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  if (parts.length === 1 || parts.some((p) => p === '')) {
    target[key] = value;
    return;
  }
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      const created: Record<string, unknown> = Object.create(null);
      node[part] = created;
      node = created;
    } else {
      node = next as Record<string, unknown>;
    }
  }
  node[parts.at(-1)!] = value;
}
