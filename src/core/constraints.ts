// What a lock accepts as a PIN, and which PINs are too easy to guess to hand out.

export interface CodeConstraints {
  min_code_length: number;
  max_code_length: number;
}

/** Why the lock would refuse this PIN, or null when it accepts it. */
export function checkCode(code: string, constraints: CodeConstraints): string | null {
  if (!/^[0-9]+$/.test(code)) return 'Code must contain digits only.';
  const { min_code_length: min, max_code_length: max } = constraints;
  if (code.length < min || code.length > max) {
    return min === max
      ? `Code must be ${min} digits long for this device.`
      : `Code must be between ${min} and ${max} digits long for this device.`;
  }
  return null;
}

/**
 * The PINs a passer-by tries first: one digit repeated (0000), a run up or down (1234, 9876,
 * 7890), or a short pattern repeated (1212, 123123). Generated PINs are never one of these.
 */
export function isTrivialPin(code: string): boolean {
  const digits = [...code].map(Number);
  if (isRun(digits, 1) || isRun(digits, -1)) return true;
  for (let period = 1; period <= Math.floor(digits.length / 2); period++) {
    if (digits.every((d, i) => d === digits[i % period])) return true;
  }
  return false;
}

/** Each digit is the previous one plus step, modulo 10 (so 7890 and 3210 count). */
function isRun(digits: number[], step: number): boolean {
  return digits.every((d, i) => i === 0 || d === (digits[i - 1]! + step + 10) % 10);
}
