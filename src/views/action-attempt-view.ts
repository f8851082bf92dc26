// The action_attempt object of the contract.
import type { ActionAttempt } from '../core/action-attempt.ts';

export const attemptView = (a: ActionAttempt) => ({
  action_attempt_id: a.action_attempt_id,
  action_type: a.action_type,
  status: a.status,
  result: a.result,
  error: a.error,
});
