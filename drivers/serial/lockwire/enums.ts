// Wire enums: a byte indexes a list of names. A byte past the list makes the payload malformed.
import { MalformedPayload } from './wire.ts';

export function nameOf<T extends string>(names: readonly (T | null)[], byte: number, field: string): T {
  const name = names[byte];
  if (name === undefined || name === null) throw new MalformedPayload(`${field} ${byte} is not defined`);
  return name;
}

export function byteOf<T extends string>(names: readonly (T | null)[], name: T): number {
  const byte = names.indexOf(name);
  if (byte < 0) throw new RangeError(`${name} has no wire value`);
  return byte;
}
