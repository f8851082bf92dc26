// The diff engine: a lock's desired codes against its observed slots → the fewest slot
// operations that make the lock hold exactly the desired codes. Pure; the cost is linear in
// the lock's slots and codes, never in the store.
import {
  type DesiredCode,
  emptySlot,
  type ObservedSlot,
  type SlotOperation,
  sameSchedule,
  slotOwner,
  writtenSlot,
} from './slot.ts';

export interface DiffInput {
  slotCount: number;
  desired: readonly DesiredCode[];
  /** Slots the bridge knows about; a slot that is absent is empty. */
  observed: readonly ObservedSlot[];
  /** Unmanaged codes to take off the lock (unmanaged/delete); others are never touched. */
  clearUnmanaged?: ReadonlySet<string>;
  /**
   * Every slot the bridge knows of, by number, when `observed` holds only some of them (a diff of
   * the few codes that changed on a lock otherwise in step): free slots are looked up here.
   */
  allSlots?: ReadonlyMap<number, ObservedSlot>;
}

export interface DiffResult {
  /** Clears first (they free slots and remove what must not open the door), then writes. */
  operations: SlotOperation[];
  /** Desired codes for which no free slot is left (no_space_for_access_code_on_device). */
  unplaced: string[];
}

/** The lock confirmed this code in this slot, as it must be, and no other write to it is out. */
const holds = (slot: ObservedSlot, want: DesiredCode): boolean =>
  slot.pending === null &&
  slot.state === 'occupied' &&
  slot.owner === want.access_code_id &&
  slot.code === want.code &&
  sameSchedule(slot.schedule, want.schedule);

/** Free for a new code: nothing on it that anyone owns, and no write to it in doubt. */
const isFree = (slot: ObservedSlot | undefined): boolean =>
  slot === undefined ||
  (slot.state === 'empty' && slot.pending === null && slot.owner === null && slot.unmanaged_id === null);

export function diffLock(input: DiffInput): DiffResult {
  // Plain loops and few allocations: this runs whenever a lock's plan is made, for every lock.
  const wanted = new Map<string, DesiredCode>();
  for (const d of input.desired) wanted.set(d.access_code_id, d);
  const slots = inSlotOrder(input.observed);
  const bySlot = new Map<number, ObservedSlot>();
  // A code found in several slots keeps the first that already holds it right: its home.
  const placed = new Set<string>();
  const home = new Set<number>();
  for (const slot of slots) {
    bySlot.set(slot.slot, slot);
    const want = slot.owner === null ? undefined : wanted.get(slot.owner);
    if (want && !placed.has(want.access_code_id) && holds(slot, want)) {
      placed.add(want.access_code_id);
      home.add(slot.slot);
    }
  }
  const clears: SlotOperation[] = [];
  const writes: SlotOperation[] = [];

  for (const slot of slots) {
    if (home.has(slot.slot)) continue; // holds its code as it must: nothing to do
    if (slot.unmanaged_id !== null) {
      if (slot.state === 'occupied' && input.clearUnmanaged?.has(slot.unmanaged_id)) {
        clears.push({
          kind: 'clear',
          slot: slot.slot,
          access_code_id: null,
          unmanaged_id: slot.unmanaged_id,
        });
      }
      continue;
    }
    const owner = slotOwner(slot);
    if (owner === null) continue; // empty, or a code of unknown origin: never ours to touch
    const want = wanted.get(owner);
    if (want && !placed.has(owner)) {
      placed.add(owner);
      writes.push(write(slot.slot, want));
    } else if (slot.state === 'occupied' || slot.pending !== null) {
      // Not wanted (deleted, outside its window, or a second copy): a write in doubt counts as landed.
      clears.push({ kind: 'clear', slot: slot.slot, access_code_id: owner, unmanaged_id: null });
    }
  }

  const unplaced: string[] = [];
  const taken = input.allSlots ?? bySlot;
  let next = 1;
  for (const want of input.desired) {
    if (placed.has(want.access_code_id)) continue;
    while (next <= input.slotCount && !isFree(taken.get(next))) next++;
    if (next > input.slotCount) {
      unplaced.push(want.access_code_id);
      continue;
    }
    writes.push(write(next, want));
    next++;
  }
  return { operations: clears.length === 0 ? writes : [...clears, ...writes], unplaced };
}

/** The slots in slot order (the store hands them out so; sorted here only when they are not). */
function inSlotOrder(observed: readonly ObservedSlot[]): readonly ObservedSlot[] {
  for (let i = 1; i < observed.length; i++) {
    if (observed[i - 1]!.slot >= observed[i]!.slot) return [...observed].sort((a, b) => a.slot - b.slot);
  }
  return observed;
}

const write = (slot: number, want: DesiredCode): SlotOperation => ({
  kind: 'write',
  slot,
  access_code_id: want.access_code_id,
  code: want.code,
  schedule: want.schedule,
});

/** The observed slots after the lock confirmed an operation (what the store records). */
export function applyOperation(observed: readonly ObservedSlot[], op: SlotOperation): ObservedSlot[] {
  const rest = observed.filter((s) => s.slot !== op.slot);
  return [...rest, op.kind === 'clear' ? emptySlot(op.slot) : writtenSlot(op)];
}
