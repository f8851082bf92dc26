// The lifecycle table of mqtt-api.md as pure transitions: a code and an outcome in, the code's
// next state and the events that say so out. The reconciler and the API call these; nothing here
// touches a lock or the store.
import {
  type AccessCodeErrorCode,
  type AccessCodeWarningCode,
  iso,
  type ManagedCode,
} from './access-code.ts';
import type { EventDraft } from './events.ts';

export interface Transition {
  code: ManagedCode;
  events: EventDraft[];
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

/** The lock confirmed that a deleted code's slot is clear. */
export function confirmRemoved(code: ManagedCode): EventDraft[] {
  const events = [event(code, 'access_code.removed_from_device')];
  // A one-time code used up: it is deleted only now that it is off the lock.
  if (!code.delete_attempt_id) events.push(event(code, 'access_code.deleted'));
  if (code.delete_attempt_id) {
    events.push({
      event_type: 'action_attempt.delete_access_code.succeeded',
      device_id: code.device_id,
      access_code_id: code.access_code_id,
      action_attempt_id: code.delete_attempt_id,
    });
  }
  return events;
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
