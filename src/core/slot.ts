// Slots as the bridge believes they are on a lock (observed), and what must be on it (desired).
import type { TimeWindow } from './access-code.ts';

/** One slot of one lock, as last confirmed by the lock or written by the bridge. */
export interface ObservedSlot {
  slot: number;
  state: 'empty' | 'occupied';
  /** The PIN in the slot; null when the lock can't read codes back and the bridge didn't write it. */
  code: string | null;
  schedule: TimeWindow | null;
  /** access_code_id of the managed code the bridge wrote here (or is writing: see confirmed). */
  owner: string | null;
  /** false while a write is sent but not yet confirmed: after a crash the slot is written again. */
  confirmed: boolean;
  /** access_code_id given to a code found on the lock that the bridge did not write. */
  unmanaged_id: string | null;
}

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
  confirmed: true,
  unmanaged_id: null,
});

/**
 * Exact: a driver whose lock keeps schedules coarser (lockwire's whole seconds) normalises the
 * desired window to what the lock will hold, so a read-back compares equal.
 */
export const sameSchedule = (a: TimeWindow | null, b: TimeWindow | null): boolean =>
  a === b || (a !== null && b !== null && a.starts_at === b.starts_at && a.ends_at === b.ends_at);

/** The slot once the lock confirmed a write. */
export const writtenSlot = (op: Extract<SlotOperation, { kind: 'write' }>): ObservedSlot => ({
  slot: op.slot,
  state: 'occupied',
  code: op.code,
  schedule: op.schedule,
  owner: op.access_code_id,
  confirmed: true,
  unmanaged_id: null,
});
