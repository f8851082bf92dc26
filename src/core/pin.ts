// PINs the bridge makes up when a request gives none.
import { type CodeConstraints, isTrivialPin } from './constraints.ts';

/** The length of a generated PIN: 6 digits where the lock allows it. */
export const PREFERRED_PIN_LENGTH = 6;

const MAX_TRIES = 1000;

/**
 * A random PIN the lock accepts that is not in `taken` and not trivial. `randomInt(n)` must be
 * uniform in [0, n) and cryptographically strong (node:crypto's randomInt in production).
 */
export function generatePin(
  constraints: CodeConstraints,
  taken: ReadonlySet<string>,
  randomInt: (max: number) => number,
): string {
  const length = Math.min(
    Math.max(PREFERRED_PIN_LENGTH, constraints.min_code_length),
    constraints.max_code_length,
  );
  for (let i = 0; i < MAX_TRIES; i++) {
    let pin = '';
    for (let d = 0; d < length; d++) pin += String(randomInt(10));
    if (!taken.has(pin) && !isTrivialPin(pin)) return pin;
  }
  // Only reachable with a nearly full PIN space (4-digit locks holding thousands of codes).
  throw new Error(`no free ${length}-digit PIN found`);
}
