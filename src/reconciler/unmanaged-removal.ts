// An unmanaged code left its lock: cleared on request (unmanaged/delete) or at the keypad.
import type { UnmanagedCodeRecord } from '../store/unmanaged-codes.ts';
import { appendEvents, type ReconcileContext } from './context.ts';

export function unmanagedRemoved(ctx: ReconcileContext, record: UnmanagedCodeRecord): void {
  const ids = { device_id: record.device_id, access_code_id: record.access_code_id };
  ctx.store.unmanaged.remove(record.access_code_id);
  appendEvents(ctx, [{ event_type: 'access_code.unmanaged.removed', ...ids }]);
  if (record.delete_attempt_id === null) return;
  ctx.store.attempts.succeed(record.delete_attempt_id, {}, ctx.now());
  appendEvents(ctx, [
    {
      event_type: 'action_attempt.delete_unmanaged_access_code.succeeded',
      ...ids,
      action_attempt_id: record.delete_attempt_id,
    },
  ]);
}
