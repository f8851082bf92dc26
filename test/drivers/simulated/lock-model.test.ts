// The rules a simulated lock enforces on its slots: what it refuses and why, what it reveals.
import { describe, expect, it } from 'vitest';
import { DriverError, type DriverErrorKind } from '../../../drivers/driver.ts';
import { LockModel, type LockModelOptions } from '../../../drivers/simulated/lock-model.ts';

const model = (options: Partial<LockModelOptions> = {}) =>
  new LockModel({
    slots: 5,
    min_code_length: 4,
    max_code_length: 8,
    can_read_codes: true,
    supports_native_scheduling: false,
    serial_number: 'SIM-T',
    ...options,
  });

function refusal(act: () => unknown): DriverError {
  try {
    act();
  } catch (error) {
    if (error instanceof DriverError) return error;
    throw error;
  }
  throw new Error('expected a DriverError');
}

const WINDOW = { starts_at: 1_000, ends_at: 2_000 };

describe('LockModel writes', () => {
  it('stores a code in a slot, enabled, from the host', () => {
    const m = model();
    m.write(2, '482916', null);
    expect(m.slot(2)).toEqual({ state: 'enabled', code: '482916', origin: 'host', schedule: null });
    expect(m.occupiedSlots()).toEqual([2]);
    expect(m.writeCount).toBe(1);
  });

  it.each([0, 6, -1, 1.5, Number.NaN])('refuses slot %s with bad_slot', (slot) => {
    const m = model();
    expect(refusal(() => m.write(slot, '1234', null)).kind).toBe('bad_slot');
    expect(refusal(() => m.clear(slot)).kind).toBe('bad_slot');
    expect(refusal(() => m.read(slot)).kind).toBe('bad_slot');
    expect(m.writeCount).toBe(0);
  });

  it.each(['123', '123456789', '12a4', '', ' 1234', '12.4', '１２３４'])(
    'refuses the code %j with bad_code',
    (code) => {
      const m = model();
      const error = refusal(() => m.write(1, code, null));
      expect(error.kind).toBe('bad_code');
      expect(error.permanent).toBe(true);
      expect(m.occupiedSlots()).toEqual([]);
    },
  );

  it('accepts codes at both length limits', () => {
    const m = model();
    m.write(1, '1234', null);
    m.write(2, '12345678', null);
    expect(m.occupiedSlots()).toEqual([1, 2]);
  });

  it('refuses a PIN another slot holds, naming that slot but never the PIN', () => {
    const m = model();
    m.write(3, '731905', null, 'keypad');
    const error = refusal(() => m.write(1, '731905', null));
    expect(error.kind).toBe('duplicate_code');
    expect(error.other_slot).toBe(3);
    expect(error.message).not.toContain('731905');
    expect(m.slot(1).state).toBe('empty');
  });

  it('rewrites a slot with its own PIN (an idempotent retry) and replaces a slot with another PIN', () => {
    const m = model();
    m.write(1, '555123', null);
    m.write(1, '555123', null);
    expect(m.codeIn(1)).toBe('555123');
    m.write(1, '666234', null);
    expect(m.codeIn(1)).toBe('666234');
    expect(m.slotWithCode('555123')).toBeNull();
    expect(m.writeCount).toBe(3);
  });

  it('refuses a schedule with unsupported unless the lock schedules natively', () => {
    const plain = model();
    expect(refusal(() => plain.write(1, '1234', WINDOW)).kind).toBe('unsupported');
    expect(plain.occupiedSlots()).toEqual([]);
    const native = model({ supports_native_scheduling: true });
    native.write(1, '1234', WINDOW);
    expect(native.slot(1).schedule).toEqual(WINDOW);
    expect(native.read(1).schedule).toEqual(WINDOW);
  });

  it('refuses a schedule that ends before it starts', () => {
    const m = model({ supports_native_scheduling: true });
    expect(refusal(() => m.write(1, '1234', { starts_at: 5, ends_at: 5 })).kind).toBe('unsupported');
  });

  it('does not count keypad programming as host writes', () => {
    const m = model();
    m.write(1, '1234', null, 'keypad');
    m.clear(1, 'keypad');
    expect(m.writeCount).toBe(0);
    expect(m.clearCount).toBe(0);
  });

  it('rejects impossible options at construction', () => {
    expect(() => model({ slots: 0 })).toThrow(RangeError);
    expect(() => model({ min_code_length: 9 })).toThrow(RangeError);
  });
});

describe('LockModel clears and reads', () => {
  it('clears a slot, and clearing an empty slot succeeds too', () => {
    const m = model();
    m.write(4, '9012', null);
    m.clear(4);
    m.clear(4);
    expect(m.slot(4).state).toBe('empty');
    expect(m.codeIn(4)).toBeNull();
    expect(m.clearCount).toBe(2);
  });

  it('reads every slot in order, empty ones included', () => {
    const m = model();
    m.write(2, '2222', null);
    m.write(5, '5555', null, 'keypad');
    const all = m.readAll();
    expect(all.map((r) => r.slot)).toEqual([1, 2, 3, 4, 5]);
    expect(all[0]).toEqual({ slot: 1, state: 'empty', code: null, origin: 'unknown', schedule: null });
    expect(all[1]).toEqual({ slot: 2, state: 'enabled', code: '2222', origin: 'host', schedule: null });
    expect(all[4]).toMatchObject({ state: 'enabled', code: '5555', origin: 'keypad' });
  });

  it('hides PINs in readings when the lock cannot read codes, yet still holds them', () => {
    const m = model({ can_read_codes: false });
    m.write(1, '8080', null);
    expect(m.read(1)).toEqual({ slot: 1, state: 'enabled', code: null, origin: 'host', schedule: null });
    expect(m.readAll().every((r) => r.code === null)).toBe(true);
    expect(m.codeIn(1)).toBe('8080');
  });

  it('returns copies: changing a returned slot does not change the lock', () => {
    const m = model();
    m.write(1, '1234', null);
    const s = m.slot(1);
    s.code = '9999';
    expect(m.codeIn(1)).toBe('1234');
  });

  it('forgets every slot on a factory reset but keeps counting host writes', () => {
    const m = model();
    m.write(1, '1111', null);
    m.write(2, '2222', null);
    m.factoryReset();
    expect(m.occupiedSlots()).toEqual([]);
    expect(m.slotWithCode('1111')).toBeNull();
    expect(m.writeCount).toBe(2);
    m.write(1, '2222', null); // the old PIN is no duplicate any more
    expect(m.codeIn(1)).toBe('2222');
  });
});

describe('LockModel keypad attempts', () => {
  it('unlocks with a stored PIN and answers null for a wrong one', () => {
    const m = model();
    m.write(3, '4321', null);
    expect(m.tryCode('4321', 0)).toEqual({ slot: 3, result: 'unlocked' });
    expect(m.tryCode('0000', 0)).toBeNull();
  });

  it('rejects a scheduled PIN outside its window: before the start and from the end on', () => {
    const m = model({ supports_native_scheduling: true });
    m.write(1, '4321', WINDOW);
    expect(m.tryCode('4321', 999)?.result).toBe('rejected_schedule');
    expect(m.tryCode('4321', 1_000)?.result).toBe('unlocked');
    expect(m.tryCode('4321', 1_999)?.result).toBe('unlocked');
    expect(m.tryCode('4321', 2_000)?.result).toBe('rejected_schedule');
  });

  it('rejects a disabled PIN until it is enabled again', () => {
    const m = model();
    m.write(2, '4321', null);
    m.setEnabled(2, false);
    expect(m.read(2).state).toBe('disabled');
    expect(m.tryCode('4321', 0)).toEqual({ slot: 2, result: 'rejected_disabled' });
    m.setEnabled(2, true);
    expect(m.tryCode('4321', 0)?.result).toBe('unlocked');
  });

  it('cannot disable an empty slot', () => {
    const kind: DriverErrorKind = refusal(() => model().setEnabled(1, false)).kind;
    expect(kind).toBe('bad_slot');
  });
});
