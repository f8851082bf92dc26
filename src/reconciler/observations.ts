// Records what a lock reported about its slots: changes made at the keypad, codes the bridge did
// not write, writes that landed before a crash, a factory reset. What each finding means for a
// code is the core's (observe, lifecycle, unmanaged-code); this writes it down.
import { randomUUID } from 'node:crypto';
import { lostInReset, modifiedExternally } from '../core/lifecycle.ts';
import { type ObservationChange, observeSlot } from '../core/observe.ts';
import {
  isPlainEmpty,
  type ObservedSlot,
  type SlotRange,
  type SlotReading,
  slotOwner,
} from '../core/slot.ts';
import { changedAtLock, found } from '../core/unmanaged-code.ts';
import type { ReconcileContext } from './context.ts';
import { unmanagedRemoved } from './removals.ts';

/**
 * A range of slots was read: slots of the range missing from the readings are empty. `complete`:
 * this finished a read of every slot (the device remembers when).
 */
export function recordRangeReading(
  ctx: ReconcileContext,
  deviceId: string,
  range: SlotRange,
  readings: readonly SlotReading[],
  factoryReset: boolean,
  complete: boolean,
): void {
  const last = range.first + range.count - 1;
  const inRange = (slot: number) => slot >= range.first && slot <= last;
  const bySlot = new Map(readings.filter((r) => inRange(r.slot)).map((r) => [r.slot, r]));
  ctx.changes.transaction(() => {
    const known = new Map(ctx.store.slots.forDevice(deviceId).map((s) => [s.slot, s]));
    const slots = new Set<number>([...[...known.keys()].filter(inRange), ...bySlot.keys()]);
    for (const slot of slots) {
      recordSlot(ctx, deviceId, known.get(slot), bySlot.get(slot) ?? emptyReading(slot), factoryReset);
    }
    const device = ctx.store.devices.get(deviceId);
    if (!device) return;
    const progress = complete
      ? { slots_read_at: ctx.now(), full_read_from: null }
      : { full_read_from: last + 1 };
    // Through the write path: the device's retained state shows how far the read has come.
    ctx.changes.device({ device: { ...device, ...progress }, events: [] });
  });
}

/** One slot was read (a targeted read, or a slot changed at the keypad). */
export function recordSlotReading(ctx: ReconcileContext, deviceId: string, reading: SlotReading): void {
  ctx.changes.transaction(() =>
    recordSlot(ctx, deviceId, ctx.store.slots.get(deviceId, reading.slot), reading, false),
  );
}

const emptyReading = (slot: number): SlotReading => ({
  slot,
  state: 'empty',
  code: null,
  origin: 'unknown',
  schedule: null,
});

function recordSlot(
  ctx: ReconcileContext,
  deviceId: string,
  current: ObservedSlot | undefined,
  reading: SlotReading,
  factoryReset: boolean,
): void {
  const { slot, change } = observeSlot(current, reading, factoryReset);
  if (change?.kind === 'unmanaged_found') {
    const mine = slot.code === null ? undefined : homelessCode(ctx, deviceId, slot.code);
    if (mine) {
      // The bridge's own write, whose record a power cut took before the lock's answer was stored.
      ctx.changes.slot(deviceId, { ...slot, owner: mine });
      return;
    }
    const unmanaged = found(randomUUID(), deviceId, slot.slot, slot.code, ctx.now());
    ctx.changes.unmanagedCode(unmanaged);
    ctx.changes.slot(deviceId, { ...slot, unmanaged_id: unmanaged.unmanaged.access_code_id });
    return;
  }
  // Nothing new about the slot: nothing to write (a full read of a lock in step costs no writes).
  const unchanged = slot === current || (current === undefined && isPlainEmpty(slot));
  if (!unchanged) ctx.changes.slot(deviceId, slot);
  if (change) applyChange(ctx, change);
}

/** A live managed code with this PIN that no slot holds or is being written. */
function homelessCode(ctx: ReconcileContext, deviceId: string, pin: string): string | undefined {
  const placed = new Set(ctx.store.slots.forDevice(deviceId).map(slotOwner));
  return ctx.store.codes
    .liveForDevice(deviceId)
    .find((code) => code.code === pin && !placed.has(code.access_code_id))?.access_code_id;
}

function applyChange(ctx: ReconcileContext, change: ObservationChange): void {
  const now = ctx.now();
  switch (change.kind) {
    case 'owned_changed': {
      const code = ctx.store.codes.get(change.owner);
      if (!code) return; // a tombstone's slot changed: the diff still clears whatever is there
      // With allow_external_modification the new PIN is taken, and the slot holds the code as it is.
      ctx.changes.accessCode(modifiedExternally(code, change.code, now));
      return;
    }
    case 'owned_lost': {
      const code = ctx.store.codes.get(change.owner);
      if (code) ctx.changes.accessCode(lostInReset(code, now));
      return;
    }
    case 'owned_confirmed':
      return; // the status follows at the next reconcile step, which sees a matching slot
    case 'unmanaged_changed': {
      const record = ctx.store.unmanaged.get(change.unmanaged_id);
      if (record) ctx.changes.unmanagedCode(changedAtLock(record, change.code));
      return;
    }
    case 'unmanaged_gone': {
      const record = ctx.store.unmanaged.get(change.unmanaged_id);
      if (record) unmanagedRemoved(ctx, record);
      return;
    }
    case 'unmanaged_found':
      return; // handled by recordSlot, which needs the new id for the slot
  }
}
