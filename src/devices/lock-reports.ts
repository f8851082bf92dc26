// What a lock reports unprompted (codes used, wrong codes, lock and door state, battery), written
// down as device changes and events. Slot changes are the reconciler's (they can mean work).
import type {
  CodeAttemptResult,
  CodeRef,
  DeviceChange,
  DoorState,
  LockActionSource,
  LockState,
} from '../core/device.ts';
import {
  batteryReported,
  codeUsed,
  type Device,
  doorReported,
  lockStateReported,
  wrongCode,
} from '../core/device.ts';
import { usedUp } from '../core/lifecycle.ts';
import { slotOwner } from '../core/slot.ts';
import type { DevicesContext } from './context.ts';

/** The access code (managed or unmanaged) in a slot, as the store knows it. */
function codeInSlot(ctx: DevicesContext, deviceId: string, slot: number): CodeRef | null {
  const observed = ctx.store.slots.get(deviceId, slot);
  const owner = observed ? slotOwner(observed) : null;
  if (owner) return { access_code_id: owner, access_code_is_managed: true };
  if (observed?.unmanaged_id) return { access_code_id: observed.unmanaged_id, access_code_is_managed: false };
  return null;
}

/** A code entered at the keypad; a one-time code that opened the door is used up (cleared next). */
export function recordCodeUsed(
  ctx: DevicesContext,
  deviceId: string,
  slot: number,
  result: CodeAttemptResult,
): void {
  const used = codeInSlot(ctx, deviceId, slot);
  ctx.changes.transaction(() => {
    changeDevice(ctx, deviceId, (device) => codeUsed(device, slot, result, used));
    const code = used?.access_code_is_managed ? ctx.store.codes.get(used.access_code_id) : undefined;
    if (code?.is_one_time_use && result === 'unlocked')
      ctx.changes.accessCode({ code: usedUp(code, ctx.now()), events: [] });
  });
}

export function recordWrongCode(ctx: DevicesContext, deviceId: string, attempts: number): void {
  changeDevice(ctx, deviceId, (device) => wrongCode(device, attempts));
}

export function recordLockState(
  ctx: DevicesContext,
  deviceId: string,
  state: LockState,
  source: LockActionSource,
  slot: number | null,
): void {
  const used = slot ? codeInSlot(ctx, deviceId, slot) : null;
  changeDevice(ctx, deviceId, (device) => lockStateReported(device, state, source, used));
}

export function recordBattery(ctx: DevicesContext, deviceId: string, level: number): void {
  changeDevice(ctx, deviceId, (device) => batteryReported(device, level));
}

export function recordDoor(ctx: DevicesContext, deviceId: string, door: DoorState): void {
  changeDevice(ctx, deviceId, (device) => doorReported(device, door));
}

/** Reads the device, applies a report to it, and writes the change when there is one. */
export function changeDevice(
  ctx: DevicesContext,
  deviceId: string,
  report: (device: Device) => DeviceChange,
): void {
  ctx.changes.transaction(() => {
    const device = ctx.store.devices.get(deviceId);
    if (!device) return;
    const change = report(device);
    if (change.device !== device || change.events.length > 0) ctx.changes.device(change);
  });
}
