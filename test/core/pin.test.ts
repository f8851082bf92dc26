import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkCode, isTrivialPin } from '../../src/core/constraints.ts';
import { generatePin } from '../../src/core/pin.ts';

describe('checkCode', () => {
  const c = { min_code_length: 4, max_code_length: 8 };
  it('accepts digits within the lock length', () => {
    expect(checkCode('4821', c)).toBeNull();
    expect(checkCode('48213579', c)).toBeNull();
  });
  it('names the problem', () => {
    expect(checkCode('482', c)).toBe('Code must be between 4 and 8 digits long for this device.');
    expect(checkCode('482135790', c)).toMatch(/between 4 and 8/);
    expect(checkCode('48a1', c)).toBe('Code must contain digits only.');
    expect(checkCode('', c)).toBe('Code must contain digits only.');
    expect(checkCode('12345', { min_code_length: 6, max_code_length: 6 })).toBe(
      'Code must be 6 digits long for this device.',
    );
  });
});

describe('isTrivialPin', () => {
  it.each(['1234', '0000', '1111', '4321', '7890', '0123', '9876', '1212', '123123', '898989'])(
    '%s is trivial',
    (pin) => {
      expect(isTrivialPin(pin)).toBe(true);
    },
  );
  it.each(['4821', '613094', '1357', '88012', '482917'])('%s is not', (pin) => {
    expect(isTrivialPin(pin)).toBe(false);
  });
});

describe('generatePin', () => {
  it('prefers 6 digits, within the lock constraints', () => {
    expect(generatePin({ min_code_length: 4, max_code_length: 8 }, new Set(), randomInt)).toMatch(/^\d{6}$/);
    expect(generatePin({ min_code_length: 4, max_code_length: 4 }, new Set(), randomInt)).toMatch(/^\d{4}$/);
    expect(generatePin({ min_code_length: 8, max_code_length: 10 }, new Set(), randomInt)).toMatch(/^\d{8}$/);
  });

  it('never hands out a trivial PIN or one the lock already holds', () => {
    // A source that first offers 1234, then 0000, then a taken PIN, then a good one.
    const digits = [...'1234', ...'0000', ...'4821', ...'6130'];
    let i = 0;
    const scripted = () => Number(digits[i++ % digits.length]);
    expect(generatePin({ min_code_length: 4, max_code_length: 4 }, new Set(['4821']), scripted)).toBe('6130');
  });

  it('spreads over the PIN space (no constant or short cycle)', () => {
    const seen = new Set(
      Array.from({ length: 200 }, () =>
        generatePin({ min_code_length: 6, max_code_length: 6 }, new Set(), randomInt),
      ),
    );
    expect(seen.size).toBeGreaterThan(190);
    for (const pin of seen) expect(isTrivialPin(pin)).toBe(false);
  });

  it('fails clearly when no PIN is left', () => {
    expect(() => generatePin({ min_code_length: 4, max_code_length: 4 }, new Set(), () => 1)).toThrow(
      /no free 4-digit PIN/,
    );
  });
});
