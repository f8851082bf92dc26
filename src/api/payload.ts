// Reading a request's raw payload: UTF-8 JSON, an object, at most MAX_PAYLOAD_BYTES. A payload
// too large to parse still gives its request_id when the id comes early: it is read from the
// first MAX_PAYLOAD_BYTES, so the client can match the refusal to its request.
import { ApiError } from './errors.ts';

export const MAX_PAYLOAD_BYTES = 64 * 1024;

type Body = Record<string, unknown>;

export type Parsed =
  | { ok: true; params: Body }
  /** `request_id`: the top-level request_id the payload gave, when it could be read. */
  | { ok: false; error: ApiError; request_id?: unknown };

export function parsePayload(payload: Buffer): Parsed {
  if (payload.length > MAX_PAYLOAD_BYTES) {
    const message = `The payload is larger than ${MAX_PAYLOAD_BYTES} bytes.`;
    const error = new ApiError('invalid_input', message, { size: payload.length });
    const start = decodeUtf8(payload.subarray(0, MAX_PAYLOAD_BYTES), true);
    return { ok: false, error, request_id: start === null ? undefined : leadingRequestId(start) };
  }
  if (payload.length === 0) return { ok: true, params: {} };
  // Not read with replacement characters: an id the client did not send could match another's.
  const text = decodeUtf8(payload, false);
  if (text === null) {
    return { ok: false, error: new ApiError('invalid_input', 'The payload is not valid UTF-8.') };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: new ApiError('invalid_input', 'The payload is not valid JSON.') };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, error: new ApiError('invalid_input', 'The payload must be a JSON object.') };
  }
  return { ok: true, params: parsed as Body };
}

/** null when the bytes are not UTF-8; `cut`: the bytes may end inside a character. */
function decodeUtf8(bytes: Uint8Array, cut: boolean): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: cut });
  } catch {
    return null;
  }
}

/**
 * The top-level "request_id" of the JSON object `text` starts with, read member by member up to
 * where the text ends or stops being JSON (the last one, as JSON.parse takes the last duplicate).
 * Nesting is skipped by counting brackets, not by recursion: any depth is safe.
 */
export function leadingRequestId(text: string): unknown {
  let at = skipSpace(text, 0);
  if (text[at] !== '{') return undefined;
  let found: unknown;
  at++;
  for (;;) {
    const key = readString(text, skipSpace(text, at));
    if (key === null) return found;
    at = skipSpace(text, key.end);
    if (text[at] !== ':') return found;
    at = skipSpace(text, at + 1);
    const end = skipValue(text, at);
    if (end === null) return found;
    if (key.value === 'request_id') found = jsonValue(text.slice(at, end));
    at = skipSpace(text, end);
    if (text[at] !== ',') return found;
    at++;
  }
}

function jsonValue(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  return at;
}

/** A JSON string starting at `at`, decoded; null when there is none (or it is not closed). */
function readString(text: string, at: number): { value: string; end: number } | null {
  const end = stringEnd(text, at);
  if (end === null) return null;
  const value = jsonValue(text.slice(at, end));
  return typeof value === 'string' ? { value, end } : null;
}

/** Just past the closing quote of the string that opens at `at`. */
function stringEnd(text: string, at: number): number | null {
  if (text[at] !== '"') return null;
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return null;
}

/** Just past the value that starts at `at`; null when the text ends first. */
function skipValue(text: string, at: number): number | null {
  const first = text[at];
  if (first === '"') return stringEnd(text, at);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let i = at; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        const end = stringEnd(text, i);
        if (end === null) return null;
        i = end - 1;
      } else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return null;
  }
  // A number, true, false or null: up to the next delimiter.
  let i = at;
  while (i < text.length && !',}] \t\n\r'.includes(text[i]!)) i++;
  return i === at || i === text.length ? null : i;
}
