import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/core/backoff.ts';
import { RetryBook } from '../../src/reconciler/retry-book.ts';

const policy = { base_ms: 100, max_ms: 1000 };

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, within ±20 % jitter, never past the cap', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, policy, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(1, policy, () => 0)).toBe(80);
    expect(backoffDelay(1, policy, () => 0.999999)).toBe(120);
    expect(backoffDelay(9, policy, () => 0.999999)).toBe(1000);
  });
});

describe('RetryBook', () => {
  it('a waiting key is due at its time, and until then counted in nextDue: never neither', () => {
    const book = new RetryBook(policy, () => 0.5);
    const delay = book.failed('code:a', 1000);
    const at = 1000 + delay;
    for (let now = 1000; now <= at + 10; now++) {
      const due = book.due('code:a', now);
      const waiting = book.nextDue(now) !== null;
      expect(due !== waiting, `at ${now}`).toBe(true);
    }
  });

  it('counts a timer that fires a millisecond early as due (the lost-retry bug)', () => {
    const book = new RetryBook(policy, () => 0.5);
    book.failed('code:a', 1000); // due at 1100
    expect(book.due('code:a', 1099)).toBe(true);
    expect(book.nextDue(1099)).toBeNull();
  });

  it('forgets a key that succeeded, and everything on clear', () => {
    const book = new RetryBook(policy, () => 0.5);
    book.failed('code:a', 0);
    book.failed('code:a', 0);
    expect(book.failures('code:a')).toBe(2);
    book.succeeded('code:a');
    expect(book.due('code:a', 0)).toBe(true);
    book.failed('code:b', 0);
    book.clear();
    expect(book.nextDue(0)).toBeNull();
  });
});
