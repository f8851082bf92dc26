// Unmanaged access codes: codes found on a lock that the bridge did not write. They are never
// touched unless asked (unmanaged/delete) and change only as the lock reports. Pure.
import type { EventDraft } from './events.ts';

export interface UnmanagedCode {
  access_code_id: string;
  device_id: string;
  slot: number;
  /** null when the lock can't read codes back. */
  code: string | null;
  /** When the bridge first saw it. */
  created_at: number;
  /** The DELETE_UNMANAGED_ACCESS_CODE attempt waiting for the slot to be cleared. */
  delete_attempt_id: string | null;
}

export interface UnmanagedChange {
  unmanaged: UnmanagedCode;
  events: EventDraft[];
  /** The code left the lock (or became managed): its row goes. */
  gone?: boolean;
}

const event = (code: UnmanagedCode, event_type: EventDraft['event_type']): EventDraft => ({
  event_type,
  device_id: code.device_id,
  access_code_id: code.access_code_id,
});

/** A code the bridge did not write turned up in a slot. */
export function found(
  access_code_id: string,
  device_id: string,
  slot: number,
  code: string | null,
  now: number,
): UnmanagedChange {
  const unmanaged = { access_code_id, device_id, slot, code, created_at: now, delete_attempt_id: null };
  return { unmanaged, events: [event(unmanaged, 'access_code.unmanaged.created')] };
}

/** The lock reports another PIN in its slot (changed at the keypad). */
export function changedAtLock(unmanaged: UnmanagedCode, code: string | null): UnmanagedChange {
  return { unmanaged: { ...unmanaged, code }, events: [] };
}

/** unmanaged/delete: the slot is to be cleared; the attempt waits for the lock. */
export function removalRequested(unmanaged: UnmanagedCode, attemptId: string): UnmanagedChange {
  return { unmanaged: { ...unmanaged, delete_attempt_id: attemptId }, events: [] };
}

/** The slot is clear (on request, or cleared at the keypad). */
export function removed(unmanaged: UnmanagedCode): UnmanagedChange {
  return { unmanaged, events: [event(unmanaged, 'access_code.unmanaged.removed')], gone: true };
}

/** convert_to_managed: the code is managed from now on, under the same id. */
export function converted(unmanaged: UnmanagedCode): UnmanagedChange {
  return {
    unmanaged,
    events: [event(unmanaged, 'access_code.unmanaged.converted_to_managed')],
    gone: true,
  };
}

export function conversionRefused(unmanaged: UnmanagedCode): UnmanagedChange {
  return { unmanaged, events: [event(unmanaged, 'access_code.unmanaged.failed_to_convert_to_managed')] };
}
