// The statuses of a time-bound code as its window opens and closes (the lifecycle table's
// "before its window", "starts_at reached" and "ends_at reached" rows). Pure.
import type { ManagedCode } from './access-code.ts';
import type { EventDraft } from './events.ts';
import { confirmSet, type Transition } from './lifecycle.ts';
import { belongsOnLock, type WindowPolicy } from './time-window.ts';

export type WindowStep =
  | { kind: 'none' }
  | { kind: 'save'; code: ManagedCode }
  /** Past ends_at and not on the lock: the code is deleted now. */
  | { kind: 'delete'; events: EventDraft[] };

/**
 * `onLock`: a slot holds (or may hold) the code. A code past its window that is on the lock goes
 * to removing; the removal's confirmation then deletes it (see expiredRemoved).
 */
export function windowStep(
  code: ManagedCode,
  now: number,
  policy: WindowPolicy,
  native: boolean,
  onLock: boolean,
): WindowStep {
  if (code.window === null || code.deleted_at !== null || !policy.clock_trusted) return { kind: 'none' };
  if (hasExpired(code, now)) {
    if (!onLock) return { kind: 'delete', events: [deletedEvent(code)] };
    return code.status === 'removing' ? { kind: 'none' } : { kind: 'save', code: removing(code, now) };
  }
  const belongs = belongsOnLock(code, now, policy, native);
  const scheduledAhead = native && now < code.window.starts_at;
  if (belongs && code.status === 'unset' && !scheduledAhead)
    return { kind: 'save', code: { ...code, status: 'setting', pending_since: now } };
  if (!belongs && (code.status === 'set' || code.status === 'setting')) {
    // The window moved later: off the lock until it opens.
    return {
      kind: 'save',
      code: onLock ? removing(code, now) : { ...code, status: 'unset', pending_since: null },
    };
  }
  return { kind: 'none' };
}

export const hasExpired = (code: ManagedCode, now: number): boolean =>
  code.window !== null && now >= code.window.ends_at;

/** The lock confirmed an expired code's slot is clear: it is deleted. */
export function expiredRemoved(code: ManagedCode): EventDraft[] {
  return [
    {
      event_type: 'access_code.removed_from_device',
      device_id: code.device_id,
      access_code_id: code.access_code_id,
    },
    deletedEvent(code),
  ];
}

const deletedEvent = (code: ManagedCode): EventDraft => ({
  event_type: 'access_code.deleted',
  device_id: code.device_id,
  access_code_id: code.access_code_id,
});

const removing = (code: ManagedCode, now: number): ManagedCode => ({
  ...code,
  status: 'removing',
  pending_since: now,
  suspended: false,
  warnings: code.warnings.filter((w) => w.warning_code !== 'delay_in_setting_on_device'),
});

/**
 * The lock confirmed the code in its slot. A code the lock holds with its own schedule before
 * the window opens is scheduled, not set: it is set once starts_at comes.
 */
export function confirmOnLock(code: ManagedCode, now: number): Transition {
  if (!isScheduledAhead(code, now)) return confirmSet(code);
  if (code.status === 'unset' && code.pending_since === null) return { code, events: [] };
  const set = confirmSet(code).code;
  return {
    code: { ...set, status: 'unset' },
    events: [
      {
        event_type: 'access_code.scheduled_on_device',
        device_id: code.device_id,
        access_code_id: code.access_code_id,
      },
    ],
  };
}

/** Held by the lock with a native schedule whose window has not opened yet. */
export const isScheduledAhead = (code: ManagedCode, now: number): boolean =>
  code.window !== null && code.is_scheduled_on_device && now < code.window.starts_at;
