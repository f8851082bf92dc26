// The rules a PIN must follow on its lock: the lock's constraints, no duplicate that would be on
// the lock at the same time, and a generated PIN when none is given.
import type { TimeWindow } from '../core/access-code.ts';
import { checkCode } from '../core/constraints.ts';
import type { Device } from '../core/device.ts';
import { generatePin } from '../core/pin.ts';
import type { ApiContext } from './context.ts';
import { ApiError, invalidField } from './errors.ts';

/** Used until a lock has told its own constraints. */
const DEFAULT_CONSTRAINTS = { min_code_length: 4, max_code_length: 8 };

const overlaps = (a: TimeWindow | null, b: TimeWindow | null) =>
  a === null || b === null || (a.starts_at < b.ends_at && b.starts_at < a.ends_at);

/** PINs that would share the lock with a code of this window (the code itself excluded). */
function pinsInUse(
  ctx: ApiContext,
  deviceId: string,
  window: TimeWindow | null,
  exceptId?: string,
): Set<string> {
  const taken = new Set<string>();
  for (const other of ctx.store.codes.liveForDevice(deviceId)) {
    if (other.access_code_id !== exceptId && overlaps(window, other.window)) taken.add(other.code);
  }
  for (const unmanaged of ctx.store.unmanaged.forDevice(deviceId)) {
    if (unmanaged.code !== null) taken.add(unmanaged.code);
  }
  return taken;
}

/** Whether this PIN would share the lock with another code of an overlapping window. */
function pinInUse(
  ctx: ApiContext,
  deviceId: string,
  pin: string,
  window: TimeWindow | null,
  exceptId?: string,
): boolean {
  for (const other of ctx.store.codes.forDevice(deviceId)) {
    if (other.code !== pin || other.deleted_at !== null || other.access_code_id === exceptId) continue;
    if (overlaps(window, other.window)) return true;
  }
  return ctx.store.unmanaged.forDevice(deviceId).some((unmanaged) => unmanaged.code === pin);
}

export function rejectDuplicate(
  ctx: ApiContext,
  deviceId: string,
  code: string,
  window: TimeWindow | null,
  exceptId?: string,
) {
  if (pinInUse(ctx, deviceId, code, window, exceptId)) {
    throw new ApiError(
      'duplicate_access_code',
      'Another access code on this device has this code at the same time.',
      { device_id: deviceId },
    );
  }
}

/** The given PIN, checked; or a fresh one the lock accepts and does not hold yet. */
export function chooseCode(
  ctx: ApiContext,
  device: Device,
  given: string | undefined,
  window: TimeWindow | null,
  exceptId?: string,
): string {
  const constraints = device.capabilities ?? DEFAULT_CONSTRAINTS;
  if (given === undefined) {
    return generatePin(constraints, pinsInUse(ctx, device.device_id, null, exceptId), ctx.randomInt);
  }
  const problem = checkCode(given, constraints);
  if (problem) throw invalidField('code', problem);
  rejectDuplicate(ctx, device.device_id, given, window, exceptId);
  return given;
}
