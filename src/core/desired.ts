// Which managed codes must be on a lock now, and with what schedule: the desired side of the diff.
import type { ManagedCode } from './access-code.ts';
import type { DesiredCode } from './slot.ts';
import { belongsOnLock, type WindowPolicy } from './time-window.ts';

/** `native`: the lock enforces schedules itself, so codes scheduled on it carry their window. */
export function desiredCodes(
  codes: readonly ManagedCode[],
  now: number,
  policy: WindowPolicy,
  native: boolean,
): DesiredCode[] {
  const desired: DesiredCode[] = [];
  for (const code of codes) {
    const scheduled = native && code.is_scheduled_on_device;
    if (!belongsOnLock(code, now, policy, scheduled)) continue;
    desired.push({
      access_code_id: code.access_code_id,
      code: code.code,
      schedule: scheduled ? code.window : null,
    });
  }
  return desired;
}
