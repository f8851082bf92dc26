// Looking for a PIN (or another secret) in a log or an output: as a value of its own, not
// characters that happen to sit inside a longer number or an id (a millisecond timestamp holds any
// six digits now and then).

/** True when `pin` stands alone somewhere in `text`. */
export function showsPin(text: string, pin: string): boolean {
  const literal = pin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![0-9A-Za-z])${literal}(?![0-9A-Za-z])`).test(text);
}
