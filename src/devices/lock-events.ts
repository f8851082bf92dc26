// Turns what a lock reports unprompted (codes used, lock state, battery) into device state and
// events. Only reports: slot changes go to the reconciler.
import type { LockActionSource, LockState } from '../../drivers/driver.ts';
import type { EventDraft } from '../core/events.ts';
import { usedUp } from '../core/lifecycle.ts';
import type { ReconcileContext } from '../reconciler/context.ts';
import { appendEvents } from '../reconciler/context.ts';

const LOW_BATTERY = 0.2;

const METHOD: Record<LockActionSource, string> = {
  keypad: 'keycode',
  manual: 'manual',
  host: 'remote',
  automatic: 'automatic',
  unknown: 'unknown',
};

/** The access code (managed or unmanaged) in a slot, as the store knows it. */
export function codeInSlot(ctx: ReconcileContext, deviceId: string, slot: number) {
  const observed = ctx.store.slots.get(deviceId, slot);
  if (observed?.owner) return { access_code_id: observed.owner, access_code_is_managed: true };
  if (observed?.unmanaged_id) return { access_code_id: observed.unmanaged_id, access_code_is_managed: false };
  return null;
}

/** True when the code was a one-time code, now used up (the lock's worker must clear it). */
export function recordCodeUsed(
  ctx: ReconcileContext,
  deviceId: string,
  slot: number,
  result: 'unlocked' | 'rejected_schedule' | 'rejected_disabled',
): boolean {
  const used = codeInSlot(ctx, deviceId, slot);
  const fields = { method: 'keycode', slot, ...(used ?? {}) };
  const draft: EventDraft =
    result === 'unlocked'
      ? { event_type: 'lock.unlocked', device_id: deviceId, fields }
      : { event_type: 'lock.access_denied', device_id: deviceId, fields: { ...fields, reason: result } };
  if (used) draft.access_code_id = used.access_code_id;
  let usedUpCode = false;
  ctx.store.tx.run(() => {
    appendEvents(ctx, [draft]);
    const device = ctx.store.devices.get(deviceId);
    if (device && result === 'unlocked') {
      ctx.store.devices.update({ ...device, locked: false });
      ctx.retained.device({ ...device, locked: false });
    }
    const code = used?.access_code_is_managed ? ctx.store.codes.get(used.access_code_id) : undefined;
    if (code?.is_one_time_use && result === 'unlocked') {
      ctx.store.codes.save(usedUp(code, ctx.now()));
      ctx.retained.codeDeleted(code.access_code_id);
      usedUpCode = true;
    }
  });
  return usedUpCode;
}

export function recordLockState(
  ctx: ReconcileContext,
  deviceId: string,
  state: LockState,
  source: LockActionSource,
  slot: number | null,
): void {
  ctx.store.tx.run(() => {
    const device = ctx.store.devices.get(deviceId);
    if (!device) return;
    const locked = state === 'locked' ? true : state === 'unlocked' ? false : null;
    const next = { ...device, locked };
    ctx.store.devices.update(next);
    ctx.retained.device(next);
    // A keypad unlock is reported by code_used and a host action by its action attempt: once each.
    if (locked === null || source === 'host' || (source === 'keypad' && !locked)) return;
    const used = slot ? codeInSlot(ctx, deviceId, slot) : null;
    appendEvents(ctx, [
      {
        event_type: locked ? 'lock.locked' : 'lock.unlocked',
        device_id: deviceId,
        ...(used ? { access_code_id: used.access_code_id } : {}),
        fields: { method: METHOD[source], ...(used ?? {}) },
      },
    ]);
  });
}

export function recordBattery(ctx: ReconcileContext, deviceId: string, level: number): void {
  ctx.store.tx.run(() => {
    const device = ctx.store.devices.get(deviceId);
    if (!device || device.battery_level === level) return;
    const next = { ...device, battery_level: level };
    ctx.store.devices.update(next);
    ctx.retained.device(next);
    const events: EventDraft[] = [
      { event_type: 'device.battery_status_changed', device_id: deviceId, fields: { battery_level: level } },
    ];
    const wasLow = device.battery_level !== null && device.battery_level < LOW_BATTERY;
    if (level < LOW_BATTERY && !wasLow) {
      events.push({
        event_type: 'device.low_battery',
        device_id: deviceId,
        fields: { battery_level: level },
      });
    }
    appendEvents(ctx, events);
  });
}

export function recordDoor(ctx: ReconcileContext, deviceId: string, open: boolean | null): void {
  ctx.store.tx.run(() => {
    const device = ctx.store.devices.get(deviceId);
    if (!device || device.door_open === open) return;
    const next = { ...device, door_open: open };
    ctx.store.devices.update(next);
    ctx.retained.device(next);
  });
}
