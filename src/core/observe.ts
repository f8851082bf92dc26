// Merges what a lock reports about a slot into what the bridge believed was there. Pure: the
// reconciler stores the result and turns each change into lifecycle transitions and events.
import { emptySlot, type ObservedSlot, type SlotReading, sameSchedule } from './slot.ts';

export type ObservationChange =
  /** A slot the bridge wrote now holds another PIN (code) or nothing (null). */
  | { kind: 'owned_changed'; slot: number; owner: string; code: string | null }
  /** The lock was reset: the bridge's code is gone, through nobody's fault. */
  | { kind: 'owned_lost'; slot: number; owner: string }
  /** A write that was in flight turns out to have landed. */
  | { kind: 'owned_confirmed'; slot: number; owner: string }
  | { kind: 'unmanaged_found'; slot: number; code: string | null }
  | { kind: 'unmanaged_changed'; slot: number; unmanaged_id: string; code: string | null }
  | { kind: 'unmanaged_gone'; slot: number; unmanaged_id: string };

export interface Observation {
  /** The slot as the bridge should now believe it is; unmanaged_found leaves unmanaged_id for the caller to assign. */
  slot: ObservedSlot;
  change: ObservationChange | null;
}

export function observeSlot(
  current: ObservedSlot | undefined,
  reading: SlotReading,
  factoryReset: boolean,
): Observation {
  const known = current ?? emptySlot(reading.slot);
  const pending = known.pending;
  if (pending === null) return observeConfirmed(known, reading, factoryReset);
  // A write is out. It landed when the lock shows its PIN (or, on a lock that can't read codes
  // back, when a slot that was empty is now occupied); otherwise the reading is judged against
  // what the slot held before, and the write stays out: a lost write is no change at the keypad.
  const occupied = reading.state !== 'empty';
  const shows = reading.code === pending.code && sameSchedule(reading.schedule, pending.schedule);
  const landed = occupied && (shows || (reading.code === null && known.state === 'empty'));
  if (landed) {
    return {
      slot: {
        slot: known.slot,
        state: 'occupied',
        code: pending.code,
        schedule: pending.schedule,
        owner: pending.owner,
        unmanaged_id: null,
        pending: null,
      },
      change: { kind: 'owned_confirmed', slot: known.slot, owner: pending.owner },
    };
  }
  const before = observeConfirmed({ ...known, pending: null }, reading, factoryReset);
  return { slot: { ...before.slot, pending }, change: before.change };
}

/** The reading against what the lock last confirmed or reported. */
function observeConfirmed(known: ObservedSlot, reading: SlotReading, factoryReset: boolean): Observation {
  const schedule = reading.schedule;
  if (reading.state === 'empty') return observeEmpty(known, factoryReset);

  if (known.owner !== null) {
    // Unreadable codes are presumed to be the bridge's own.
    if (reading.code === null || reading.code === known.code) return { slot: known, change: null };
    return {
      slot: { ...known, state: 'occupied', code: reading.code, schedule },
      change: { kind: 'owned_changed', slot: known.slot, owner: known.owner, code: reading.code },
    };
  }

  if (known.unmanaged_id !== null) {
    if (reading.code === known.code) return { slot: known, change: null };
    return {
      slot: { ...known, code: reading.code, schedule },
      change: {
        kind: 'unmanaged_changed',
        slot: known.slot,
        unmanaged_id: known.unmanaged_id,
        code: reading.code,
      },
    };
  }

  return {
    slot: { ...known, state: 'occupied', code: reading.code, schedule },
    change: { kind: 'unmanaged_found', slot: known.slot, code: reading.code },
  };
}

function observeEmpty(known: ObservedSlot, factoryReset: boolean): Observation {
  const empty = emptySlot(known.slot);
  if (known.owner !== null) {
    const change: ObservationChange = factoryReset
      ? { kind: 'owned_lost', slot: known.slot, owner: known.owner }
      : { kind: 'owned_changed', slot: known.slot, owner: known.owner, code: null };
    return { slot: empty, change };
  }
  if (known.unmanaged_id !== null) {
    return {
      slot: empty,
      change: { kind: 'unmanaged_gone', slot: known.slot, unmanaged_id: known.unmanaged_id },
    };
  }
  return { slot: known.state === 'empty' ? known : empty, change: null };
}
