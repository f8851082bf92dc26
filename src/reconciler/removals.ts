// The end of a removal the lock confirmed: an unmanaged code is gone from its slot, and the
// action attempt that waited for it (unmanaged/delete, access_codes/delete) succeeds.
import { attemptSucceeded } from '../core/action-attempt.ts';
import { removed, type UnmanagedCode } from '../core/unmanaged-code.ts';
import type { ReconcileContext } from './context.ts';

export function unmanagedRemoved(ctx: ReconcileContext, record: UnmanagedCode): void {
  ctx.changes.transaction(() => {
    ctx.changes.unmanagedCode(removed(record));
    if (record.delete_attempt_id !== null) attemptDone(ctx, record.delete_attempt_id);
  });
}

/** The attempt that waited for the lock succeeds (if it is still pending). */
export function attemptDone(ctx: ReconcileContext, attemptId: string): void {
  const attempt = ctx.store.attempts.get(attemptId);
  if (attempt?.status === 'pending') ctx.changes.attempt(attemptSucceeded(attempt));
}
