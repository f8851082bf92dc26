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
const owned = (slot: number, code: string): ObservedSlot => ({
  ...emptySlot(slot),
  state: 'occupied',
  code,
  owner: 'A',
});
/** `before` (null: empty) with a write of `code` for A out. */
const writing = (slot: number, code: string, before: string | null = null): ObservedSlot => ({
  ...(before === null ? emptySlot(slot) : owned(slot, before)),
  pending: { owner: 'A', code, schedule: null },
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
    const landed = observeSlot(writing(4, '1357'), reading(4, '1357'), false);
    expect(landed.slot).toEqual(owned(4, '1357'));
    expect(landed.change).toEqual({ kind: 'owned_confirmed', slot: 4, owner: 'A' });
    const lost = observeSlot(writing(4, '1357'), reading(4, null, 'empty'), false);
    expect(lost.slot).toEqual(writing(4, '1357'));
    expect(lost.change).toBeNull();
  });

  it('a new PIN that did not land is no change at the keypad: the old PIN is what the slot held', () => {
    const lost = observeSlot(writing(4, '2468', '1357'), reading(4, '1357'), false);
    expect(lost.change).toBeNull();
    expect(lost.slot).toEqual(writing(4, '2468', '1357'));
    const landed = observeSlot(writing(4, '2468', '1357'), reading(4, '2468'), false);
    expect(landed.change).toEqual({ kind: 'owned_confirmed', slot: 4, owner: 'A' });
    // Neither the old PIN nor the new one: someone changed it at the keypad meanwhile.
    const keypad = observeSlot(writing(4, '2468', '1357'), reading(4, '9999'), false);
    expect(keypad.change).toEqual({ kind: 'owned_changed', slot: 4, owner: 'A', code: '9999' });
    expect(keypad.slot.pending).toEqual({ owner: 'A', code: '2468', schedule: null });
  });

  it('on a lock that cannot read codes back, an empty slot now occupied means the write landed', () => {
    expect(observeSlot(writing(4, '1357'), reading(4, null), false).change).toMatchObject({
      kind: 'owned_confirmed',
    });
    // A rewrite of an occupied slot can't be told apart: the write stays out.
    expect(observeSlot(writing(4, '2468', '1357'), reading(4, null), false).change).toBeNull();
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
