// Looking for a PIN in a log or an output: as a value of its own, not digits that happen to sit
// inside a longer number or an id (a millisecond timestamp holds any six digits now and then).

/** True when `pin` stands alone somewhere in `text`. */
export function showsPin(text: string, pin: string): boolean {
  return new RegExp(`(?<![0-9A-Za-z])${pin}(?![0-9A-Za-z])`).test(text);
}
