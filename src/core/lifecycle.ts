// The lifecycle table of mqtt-api.md as pure transitions: a code and an outcome in, the code's
// next state and the events that say so out. Every way a managed code's status can change is in
// this file; the API, the reconciler and the lock reports call these, and nothing here touches a
// lock or the store.
import {
  type AccessCodeErrorCode,
  type AccessCodeWarningCode,
  iso,
  type ManagedCode,
  newManagedCode,
} from './access-code.ts';
import type { EventDraft } from './events.ts';
import { belongsOnLock, type WindowPolicy } from './time-window.ts';

export interface Transition {
  code: ManagedCode;
  events: EventDraft[];
  /** The code is deleted for good: its row goes (it is off the lock, or never was on it). */
  gone?: boolean;
}

export interface TimingPolicy {
  delay_warning_after_ms: number;
  fail_after_ms: number;
}

const SETTING_ERRORS: ReadonlySet<AccessCodeErrorCode> = new Set([
  'failed_to_set_on_device',
  'duplicate_code_on_device',
  'no_space_for_access_code_on_device',
  'bad_code_on_device',
  'unsupported_by_device',
]);

const event = (code: ManagedCode, event_type: EventDraft['event_type'], fields?: Record<string, unknown>) => {
  const draft: EventDraft = { event_type, device_id: code.device_id, access_code_id: code.access_code_id };
  if (fields) draft.fields = fields;
  return draft;
};

const withoutWarning = (code: ManagedCode, warning: AccessCodeWarningCode) =>
  code.warnings.filter((w) => w.warning_code !== warning);

const hasWarning = (code: ManagedCode, warning: AccessCodeWarningCode) =>
  code.warnings.some((w) => w.warning_code === warning);

const hasError = (code: ManagedCode, error: AccessCodeErrorCode) =>
  code.errors.some((e) => e.error_code === error);

/** Deleted, expired or moved out of its window, and waiting for the lock to clear it. */
const isRemoving = (code: ManagedCode) => code.deleted_at !== null || code.status === 'removing';

/** The lock confirmed the code in its slot. "set" only ever comes from here. */
export function confirmSet(code: ManagedCode): Transition {
  const next: ManagedCode = {
    ...code,
    status: 'set',
    pending_since: null,
    suspended: false,
    errors: code.errors.filter((e) => !SETTING_ERRORS.has(e.error_code)),
    warnings: withoutWarning(code, 'delay_in_setting_on_device'),
  };
  const unchanged = code.status === 'set' && code.errors.length === next.errors.length;
  return { code: next, events: unchanged ? [] : [event(next, 'access_code.set_on_device')] };
}

/**
 * A write whose answer never came, on a lock that can't read codes back: the bridge cannot tell
 * whether the code is on the lock until a write is confirmed (the spec's status "unknown").
 */
export function inDoubt(code: ManagedCode): ManagedCode {
  return code.status === 'setting' ? { ...code, status: 'unknown' } : code;
}

/** The lock refused the code for good: report it and stop trying until the code changes. */
export function refuseSet(
  code: ManagedCode,
  error: AccessCodeErrorCode,
  message: string,
  now: number,
): Transition {
  const next: ManagedCode = {
    ...code,
    suspended: true,
    pending_since: null,
    errors: [
      ...code.errors.filter((e) => !SETTING_ERRORS.has(e.error_code)),
      { error_code: error, message, created_at: iso(now) },
    ],
    warnings: withoutWarning(code, 'delay_in_setting_on_device'),
  };
  return { code: next, events: [event(next, 'access_code.failed_to_set_on_device', { error_code: error })] };
}

/**
 * Time passing while the code waits for the lock: a warning after delay_warning_after, an error
 * after fail_after. Setting is then suspended (no retry loop); removal never is.
 */
export function checkDelay(code: ManagedCode, now: number, timing: TimingPolicy): Transition {
  if (code.pending_since === null) return { code, events: [] };
  const waited = now - code.pending_since;
  const removing = isRemoving(code);
  const warning = removing ? 'delay_in_removing_from_device' : 'delay_in_setting_on_device';
  const error = removing ? 'failed_to_remove_from_device' : 'failed_to_set_on_device';
  let next = code;
  const events: EventDraft[] = [];
  if (waited >= timing.delay_warning_after_ms && !hasWarning(next, warning)) {
    const message = removing
      ? 'The lock has not confirmed the removal yet; the bridge keeps trying.'
      : 'The lock has not confirmed the code yet; the bridge keeps trying.';
    next = {
      ...next,
      warnings: [...next.warnings, { warning_code: warning, message, created_at: iso(now) }],
    };
    events.push(event(next, `access_code.${warning}`));
  }
  if (waited >= timing.fail_after_ms && !hasError(next, error)) {
    const message = removing
      ? 'The lock has not confirmed the removal; the bridge keeps retrying until it does.'
      : 'The lock did not confirm the code in time; the bridge stopped trying until the code is changed or the lock reconnects.';
    next = {
      ...next,
      suspended: !removing,
      errors: [...next.errors, { error_code: error, message, created_at: iso(now) }],
    };
    events.push(event(next, `access_code.${error}`, { error_code: error }));
  }
  return { code: next, events };
}

/** The next moment checkDelay has something to do for this code, or null. */
export function nextDelayCheck(code: ManagedCode, timing: TimingPolicy): number | null {
  if (code.pending_since === null) return null;
  const removing = isRemoving(code);
  if (!hasWarning(code, removing ? 'delay_in_removing_from_device' : 'delay_in_setting_on_device')) {
    return code.pending_since + timing.delay_warning_after_ms;
  }
  if (!hasError(code, removing ? 'failed_to_remove_from_device' : 'failed_to_set_on_device')) {
    return code.pending_since + timing.fail_after_ms;
  }
  return null;
}

/** What must be on the lock changed (code, window): programme it again from a clean slate. */
export function reprogram(code: ManagedCode, now: number): ManagedCode {
  return {
    ...code,
    status: 'setting',
    pending_since: now,
    suspended: false,
    revision: code.revision + 1,
    errors: code.errors.filter((e) => !SETTING_ERRORS.has(e.error_code)),
    warnings: withoutWarning(code, 'delay_in_setting_on_device'),
  };
}

/** A suspended code gets another chance (the lock came back, rebooted, or a slot was freed). */
export function resume(code: ManagedCode, now: number): ManagedCode {
  if (!code.suspended || code.deleted_at !== null) return code;
  return { ...code, suspended: false, pending_since: now };
}

/** The code was deleted but is (or may be) on the lock: it stays as a tombstone until cleared. */
export function markRemoving(code: ManagedCode, now: number, attemptId: string): ManagedCode {
  return {
    ...code,
    status: 'removing',
    deleted_at: now,
    delete_attempt_id: attemptId,
    pending_since: now,
    suspended: false,
    errors: [],
    warnings: [],
  };
}

/** A one-time code was used: it comes off the lock, then it is deleted (no action attempt). */
export function usedUp(code: ManagedCode, now: number): ManagedCode {
  return {
    ...code,
    status: 'removing',
    deleted_at: now,
    delete_attempt_id: null,
    pending_since: now,
    suspended: false,
  };
}

// --- Created, updated, deleted (the API). ---

/** A new code: setting when it belongs on the lock now, unset before its window. */
export function created(code: ManagedCode, now: number, policy: WindowPolicy): Transition {
  const next = initialStatus(code, now, policy);
  return { code: next, events: [event(next, 'access_code.created')] };
}

/**
 * An update: `next` carries the new fields (is_scheduled_on_device as it would be for its window).
 * A new PIN or window programs the code again from a clean slate; a new name alone leaves its
 * status as it is.
 */
export function updated(
  current: ManagedCode,
  next: ManagedCode,
  now: number,
  policy: WindowPolicy,
): Transition {
  const reprogrammed =
    next.code !== current.code ||
    next.window?.starts_at !== current.window?.starts_at ||
    next.window?.ends_at !== current.window?.ends_at;
  const code = reprogrammed
    ? initialStatus(reprogram(next, now), now, policy)
    : { ...next, is_scheduled_on_device: current.is_scheduled_on_device };
  return { code, events: [event(code, 'access_code.changed')] };
}

const initialStatus = (code: ManagedCode, now: number, policy: WindowPolicy): ManagedCode =>
  belongsOnLock({ ...code, deleted_at: null }, now, policy, code.is_scheduled_on_device)
    ? { ...code, status: 'setting', pending_since: now }
    : { ...code, status: 'unset', pending_since: null };

/**
 * A delete. A code that is (or may be) on the lock stays as a tombstone, removing, until the lock
 * confirms its slot is clear; one that never reached the lock is gone at once.
 */
export function deleted(code: ManagedCode, now: number, attemptId: string, onLock: boolean): Transition {
  const events = [event(code, 'access_code.deleted')];
  if (!onLock) return { code, events, gone: true };
  return { code: markRemoving(code, now, attemptId), events };
}

/** An unmanaged code taken over: managed from now on, under its id, already set in its slot. */
export function convertedToManaged(
  fields: Pick<ManagedCode, 'access_code_id' | 'device_id' | 'name' | 'code' | 'created_at'>,
): Transition {
  const code = newManagedCode({ ...fields, status: 'set', pending_since: null });
  return { code, events: [] };
}

// --- What the lock answered (the reconciler). ---

/**
 * The lock confirmed that a slot this code held is clear: a deleted or expired code is gone; a
 * time-bound code that left its window is unset until it opens again.
 */
export function clearConfirmed(code: ManagedCode, now: number): Transition | null {
  if (code.deleted_at !== null) {
    const events = [event(code, 'access_code.removed_from_device')];
    // A one-time code used up: it is deleted only now that it is off the lock.
    if (!code.delete_attempt_id) events.push(event(code, 'access_code.deleted'));
    return { code, events, gone: true };
  }
  if (hasExpired(code, now)) return { code, events: expiredRemoved(code), gone: true };
  if (code.window !== null && code.status === 'removing') {
    const next: ManagedCode = { ...code, status: 'unset', pending_since: null };
    return { code: next, events: [event(next, 'access_code.removed_from_device')] };
  }
  return null;
}

/** The lock refused to clear a deleted code's slot: reported once; removal is never given up. */
export function removalRefused(code: ManagedCode, reason: string, now: number): Transition {
  if (code.deleted_at === null || hasError(code, 'failed_to_remove_from_device')) return { code, events: [] };
  const next: ManagedCode = {
    ...code,
    errors: [
      ...code.errors,
      {
        error_code: 'failed_to_remove_from_device',
        message: `The lock refused to clear the slot (${reason}); the bridge keeps retrying.`,
        created_at: iso(now),
      },
    ],
  };
  return {
    code: next,
    events: [
      event(next, 'access_code.failed_to_remove_from_device', { error_code: 'failed_to_remove_from_device' }),
    ],
  };
}

/** The lock was reset: the code is gone from it through nobody's fault; it is written again. */
export function lostInReset(code: ManagedCode, now: number): Transition {
  return { code: { ...reprogram(code, now), revision: code.revision }, events: [] };
}

/** The PIN in the code's slot was changed or cleared at the keypad. */
export function modifiedExternally(code: ManagedCode, newCode: string | null, now: number): Transition {
  const cleared = newCode === null;
  if (code.allow_external_modification && !cleared) {
    // The person at the lock wins: take the PIN they set.
    const next: ManagedCode = { ...code, code: newCode, status: 'set', pending_since: null };
    return { code: next, events: [event(next, 'access_code.changed', { changed_externally: true })] };
  }
  const warnings = withoutWarning(code, 'code_modified_externally');
  warnings.push({
    warning_code: 'code_modified_externally',
    message: cleared
      ? 'The code was removed at the lock; the bridge is programming it again.'
      : 'The code was changed at the lock; the bridge is programming it again.',
    created_at: iso(now),
  });
  const next: ManagedCode = { ...code, status: 'setting', pending_since: now, suspended: false, warnings };
  const type = cleared ? 'access_code.deleted_externally' : 'access_code.modified_externally';
  return { code: next, events: [event(next, type)] };
}

// --- Time windows: the "before its window", "starts_at reached" and "ends_at reached" rows. ---

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

const hasExpired = (code: ManagedCode, now: number): boolean =>
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
const isScheduledAhead = (code: ManagedCode, now: number): boolean =>
  code.window !== null && code.is_scheduled_on_device && now < code.window.starts_at;
