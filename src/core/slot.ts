// Slots as the bridge believes they are on a lock (observed), and what must be on it (desired).
import type { TimeWindow } from './access-code.ts';

/** A write sent to a slot and not confirmed yet. */
export interface PendingWrite {
  owner: string;
  code: string;
  schedule: TimeWindow | null;
}

/**
 * One slot of one lock as the bridge knows it: what the lock last confirmed or reported, and
 * apart from it, a write in flight. The two are never mixed: a write that was not confirmed is
 * never taken for what the slot holds.
 */
export interface ObservedSlot {
  slot: number;
  state: 'empty' | 'occupied';
  /** The PIN in the slot; null when the lock can't read codes back and the bridge didn't write it. */
  code: string | null;
  schedule: TimeWindow | null;
  /** access_code_id of the managed code the lock confirmed here. */
  owner: string | null;
  /** access_code_id given to a code found on the lock that the bridge did not write. */
  unmanaged_id: string | null;
  /**
   * A write sent and not yet confirmed: after a crash or a lost answer it is written again, or
   * found to have landed when the slot is read.
   */
  pending: PendingWrite | null;
}

/** Nothing on it, nobody's, nothing on its way: what an absent row means. */
export const isPlainEmpty = (s: ObservedSlot): boolean =>
  s.state === 'empty' && s.owner === null && s.unmanaged_id === null && s.pending === null;

/** The managed code this slot holds or is being given to. */
export const slotOwner = (slot: ObservedSlot): string | null => slot.pending?.owner ?? slot.owner;

/** A slot as a lock reports it; drivers hand the reconciler readings of this shape. */
export interface SlotReading {
  slot: number;
  state: 'empty' | 'enabled' | 'disabled';
  /** null when the lock can't read codes back. */
  code: string | null;
  /** Where the slot's content came from, when the lock knows. */
  origin: 'host' | 'keypad' | 'unknown';
  schedule: TimeWindow | null;
}

/** Slots first..first+count-1 of a lock. */
export interface SlotRange {
  first: number;
  count: number;
}

/** A managed code that must be on the lock now. */
export interface DesiredCode {
  access_code_id: string;
  code: string;
  /** A schedule the lock itself enforces (native scheduling); null for none. */
  schedule: TimeWindow | null;
}

export type SlotOperation =
  | { kind: 'write'; slot: number; access_code_id: string; code: string; schedule: TimeWindow | null }
  | { kind: 'clear'; slot: number; access_code_id: string | null; unmanaged_id: string | null };

export const emptySlot = (slot: number): ObservedSlot => ({
  slot,
  state: 'empty',
  code: null,
  schedule: null,
  owner: null,
  unmanaged_id: null,
  pending: null,
});

/**
 * Exact: a driver whose lock keeps schedules coarser (lockwire's whole seconds) normalises the
 * desired window to what the lock will hold, so a read-back compares equal.
 */
export const sameSchedule = (a: TimeWindow | null, b: TimeWindow | null): boolean =>
  a === b || (a !== null && b !== null && a.starts_at === b.starts_at && a.ends_at === b.ends_at);

/** The slot once the lock confirmed a write. */
export const writtenSlot = (write: Extract<SlotOperation, { kind: 'write' }>): ObservedSlot => ({
  slot: write.slot,
  state: 'occupied',
  code: write.code,
  schedule: write.schedule,
  owner: write.access_code_id,
  unmanaged_id: null,
  pending: null,
});

/** The slot while a write to it is out: what it held stays what it held. */
export const withPending = (
  slot: ObservedSlot,
  op: Extract<SlotOperation, { kind: 'write' }>,
): ObservedSlot => ({
  ...slot,
  pending: { owner: op.access_code_id, code: op.code, schedule: op.schedule },
});
