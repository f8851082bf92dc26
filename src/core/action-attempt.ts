// Action attempts: the answer to an action that completes later (delete, lock, unlock, convert, remove),
// and the two ways one ends. Pure.
import type { EventDraft, EventType } from './events.ts';

export type ActionType =
  | 'DELETE_ACCESS_CODE'
  | 'LOCK_DOOR'
  | 'UNLOCK_DOOR'
  | 'CONVERT_ACCESS_CODE_TO_MANAGED'
  | 'DELETE_UNMANAGED_ACCESS_CODE'
  | 'REMOVE_DEVICE';

export interface ActionAttemptError {
  type: string;
  message: string;
}

export interface ActionAttempt {
  action_attempt_id: string;
  action_type: ActionType;
  status: 'pending' | 'success' | 'error';
  result: Record<string, unknown> | null;
  error: ActionAttemptError | null;
  device_id: string | null;
  access_code_id: string | null;
  created_at: number;
}

export interface AttemptChange {
  attempt: ActionAttempt;
  events: EventDraft[];
}

const ENDED: Record<ActionType, { succeeded: EventType; failed: EventType }> = {
  DELETE_ACCESS_CODE: {
    succeeded: 'action_attempt.delete_access_code.succeeded',
    failed: 'action_attempt.delete_access_code.failed',
  },
  LOCK_DOOR: { succeeded: 'action_attempt.lock_door.succeeded', failed: 'action_attempt.lock_door.failed' },
  UNLOCK_DOOR: {
    succeeded: 'action_attempt.unlock_door.succeeded',
    failed: 'action_attempt.unlock_door.failed',
  },
  CONVERT_ACCESS_CODE_TO_MANAGED: {
    succeeded: 'action_attempt.convert_access_code_to_managed.succeeded',
    failed: 'action_attempt.convert_access_code_to_managed.failed',
  },
  DELETE_UNMANAGED_ACCESS_CODE: {
    succeeded: 'action_attempt.delete_unmanaged_access_code.succeeded',
    failed: 'action_attempt.delete_unmanaged_access_code.failed',
  },
  REMOVE_DEVICE: {
    succeeded: 'action_attempt.remove_device.succeeded',
    failed: 'action_attempt.remove_device.failed',
  },
};

export function pendingAttempt(
  action_attempt_id: string,
  action_type: ActionType,
  device_id: string | null,
  access_code_id: string | null,
  now: number,
): ActionAttempt {
  return {
    action_attempt_id,
    action_type,
    status: 'pending',
    result: null,
    error: null,
    device_id,
    access_code_id,
    created_at: now,
  };
}

const ended = (attempt: ActionAttempt, outcome: 'succeeded' | 'failed'): EventDraft => ({
  event_type: ENDED[attempt.action_type][outcome],
  device_id: attempt.device_id ?? '',
  ...(attempt.access_code_id ? { access_code_id: attempt.access_code_id } : {}),
  action_attempt_id: attempt.action_attempt_id,
});

export function attemptSucceeded(
  attempt: ActionAttempt,
  result: Record<string, unknown> = {},
): AttemptChange {
  const next: ActionAttempt = { ...attempt, status: 'success', result, error: null };
  return { attempt: next, events: [ended(next, 'succeeded')] };
}

export function attemptFailed(attempt: ActionAttempt, error: ActionAttemptError): AttemptChange {
  const next: ActionAttempt = { ...attempt, status: 'error', result: null, error };
  return { attempt: next, events: [ended(next, 'failed')] };
}
