// Whether a managed code belongs on its lock at a given time.
import type { ManagedCode } from './access-code.ts';

export interface WindowPolicy {
  /** Program time-bound codes this long before starts_at (locks without native schedules). */
  lead_ms: number;
  /** False while the clock is not trusted: time-bound codes are then neither added nor expired. */
  clock_trusted: boolean;
}

/**
 * Ongoing codes always belong on the lock. A time-bound code belongs there inside its window,
 * or from creation until ends_at when the lock enforces the window itself.
 */
export function belongsOnLock(
  code: ManagedCode,
  now: number,
  policy: WindowPolicy,
  nativeSchedule: boolean,
): boolean {
  if (code.deleted_at !== null) return false;
  if (code.window === null) return true;
  if (!policy.clock_trusted) return code.status === 'set' || code.status === 'removing';
  if (now >= code.window.ends_at) return false;
  return nativeSchedule || now >= code.window.starts_at - policy.lead_ms;
}
