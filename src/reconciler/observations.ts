// Records what a lock reported about its slots: changes made at the keypad, codes the bridge did
// not write, writes that landed before a crash, a factory reset.
import type { SlotReading } from '../../drivers/driver.ts';
import { modifiedExternally, reprogram } from '../core/lifecycle.ts';
import { type ObservationChange, observeSlot } from '../core/observe.ts';
import type { ObservedSlot } from '../core/slot.ts';
import { appendEvents, type ReconcileContext, saveCode } from './context.ts';
import { unmanagedRemoved } from './unmanaged-removal.ts';

/** Every slot of the lock was read: slots missing from the reading are empty. */
export function recordFullReading(
  ctx: ReconcileContext,
  deviceId: string,
  slotCount: number,
  readings: readonly SlotReading[],
  factoryReset: boolean,
): void {
  const bySlot = new Map(readings.map((r) => [r.slot, r]));
  ctx.store.tx.run(() => {
    const known = new Map(ctx.store.slots.forDevice(deviceId).map((s) => [s.slot, s]));
    const slots = new Set<number>([...known.keys(), ...bySlot.keys()]);
    for (const slot of slots) {
      if (slot < 1 || slot > slotCount) continue;
      const reading = bySlot.get(slot) ?? emptyReading(slot);
      recordSlot(ctx, deviceId, known.get(slot), reading, factoryReset);
    }
    const device = ctx.store.devices.get(deviceId);
    if (device) ctx.store.devices.update({ ...device, slots_read_at: ctx.now() });
  });
}

/** One slot was reported (changed at the keypad). */
export function recordSlotReading(ctx: ReconcileContext, deviceId: string, reading: SlotReading): void {
  ctx.store.tx.run(() =>
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
    const unmanaged = ctx.store.unmanaged.add(deviceId, slot.slot, slot.code, ctx.now());
    ctx.store.slots.put(deviceId, { ...slot, unmanaged_id: unmanaged.access_code_id });
    appendEvents(ctx, [
      {
        event_type: 'access_code.unmanaged.created',
        device_id: deviceId,
        access_code_id: unmanaged.access_code_id,
      },
    ]);
    return;
  }
  ctx.store.slots.put(deviceId, slot);
  if (change) applyChange(ctx, deviceId, change);
}

function applyChange(ctx: ReconcileContext, deviceId: string, change: ObservationChange): void {
  const now = ctx.now();
  switch (change.kind) {
    case 'owned_changed': {
      const code = ctx.store.codes.get(change.owner);
      if (!code) return; // a tombstone's slot changed: the diff still clears whatever is there
      const transition = modifiedExternally(code, change.code, now);
      if (transition.code.code !== code.code) {
        // The new PIN was taken: the slot now matches the code as it is.
        ctx.store.slots.put(deviceId, { ...ctx.store.slots.get(deviceId, change.slot)!, confirmed: true });
      }
      saveCode(ctx, transition.code, transition.events);
      return;
    }
    case 'owned_lost': {
      const code = ctx.store.codes.get(change.owner);
      if (code) saveCode(ctx, { ...reprogram(code, now), revision: code.revision }, []);
      return;
    }
    case 'owned_confirmed':
      return; // the status follows at the next reconcile step, which sees a matching slot
    case 'unmanaged_changed':
      ctx.store.unmanaged.updateCode(change.unmanaged_id, change.code);
      return;
    case 'unmanaged_gone': {
      const record = ctx.store.unmanaged.get(change.unmanaged_id);
      if (record) unmanagedRemoved(ctx, record);
      return;
    }
    case 'unmanaged_found':
      return; // handled by recordSlot, which needs the new id for the slot
  }
}
