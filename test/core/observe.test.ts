import { describe, expect, it } from 'vitest';
import type { SlotReading } from '../../drivers/driver.ts';
import { observeSlot } from '../../src/core/observe.ts';
import { emptySlot, type ObservedSlot } from '../../src/core/slot.ts';

const reading = (
  slot: number,
  code: string | null,
  state: SlotReading['state'] = 'enabled',
): SlotReading => ({
  slot,
  state,
  code,
  origin: 'unknown',
  schedule: null,
});
const owned = (slot: number, code: string, confirmed = true): ObservedSlot => ({
  ...emptySlot(slot),
  state: 'occupied',
  code,
  owner: 'A',
  confirmed,
});

describe('observeSlot', () => {
  it('a code the bridge did not write is found as unmanaged', () => {
    expect(observeSlot(undefined, reading(3, '9876'), false).change).toEqual({
      kind: 'unmanaged_found',
      slot: 3,
      code: '9876',
    });
  });

  it('a matching reading of an owned slot changes nothing', () => {
    expect(observeSlot(owned(2, '1357'), reading(2, '1357'), false)).toEqual({
      slot: owned(2, '1357'),
      change: null,
    });
  });

  it('an owned slot holding another PIN or nothing was modified at the lock', () => {
    expect(observeSlot(owned(2, '1357'), reading(2, '2468'), false).change).toEqual({
      kind: 'owned_changed',
      slot: 2,
      owner: 'A',
      code: '2468',
    });
    expect(observeSlot(owned(2, '1357'), reading(2, null, 'empty'), false).change).toMatchObject({
      code: null,
    });
  });

  it('after a factory reset an empty owned slot is lost, not modified', () => {
    expect(observeSlot(owned(2, '1357'), reading(2, null, 'empty'), true).change).toEqual({
      kind: 'owned_lost',
      slot: 2,
      owner: 'A',
    });
  });

  it('a write in flight at a crash is confirmed when the lock shows it, and stays an intent when not', () => {
    const landed = observeSlot(owned(4, '1357', false), reading(4, '1357'), false);
    expect(landed.slot.confirmed).toBe(true);
    expect(landed.change).toEqual({ kind: 'owned_confirmed', slot: 4, owner: 'A' });
    const lost = observeSlot(owned(4, '1357', false), reading(4, null, 'empty'), false);
    expect(lost.slot).toMatchObject({ owner: 'A', confirmed: false });
    expect(lost.change).toBeNull();
  });

  it('a lock that cannot read codes back keeps the bridge its own slots', () => {
    expect(observeSlot(owned(5, '1357'), reading(5, null), false).change).toBeNull();
  });

  it('an unmanaged code that goes is reported gone', () => {
    const unmanaged: ObservedSlot = { ...emptySlot(6), state: 'occupied', code: '1111', unmanaged_id: 'U' };
    expect(observeSlot(unmanaged, reading(6, null, 'empty'), false).change).toEqual({
      kind: 'unmanaged_gone',
      slot: 6,
      unmanaged_id: 'U',
    });
  });
});
