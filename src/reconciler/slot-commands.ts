// Runs one slot operation on a lock and records what the lock answered. The intent is committed
// before the command leaves, so a crash mid-write is retried after restart; "set" is recorded only
// after the lock confirmed. What each answer means for the code is decided by core/lifecycle.ts.
import { DriverError, type LockHandle } from '../../drivers/driver.ts';
import {
  clearConfirmed,
  confirmOnLock,
  inDoubt,
  refuseSet,
  removalRefused,
  resume,
} from '../core/lifecycle.ts';
import { emptySlot, type ObservedSlot, type SlotOperation, withPending, writtenSlot } from '../core/slot.ts';
import type { ReconcileContext } from './context.ts';
import type { LockMemory } from './lock-memory.ts';
import { refusalError } from './refusals.ts';
import { attemptDone, unmanagedRemoved } from './removals.ts';

type WriteOp = Extract<SlotOperation, { kind: 'write' }>;
type ClearOp = Extract<SlotOperation, { kind: 'clear' }>;

export const retryKey = (op: SlotOperation): string =>
  op.kind === 'write' ? `code:${op.access_code_id}` : `slot:${op.slot}`;

/** True once the lock confirmed the operation. */
export async function runSlotOperation(
  ctx: ReconcileContext,
  lock: LockMemory,
  handle: LockHandle,
  op: SlotOperation,
): Promise<boolean> {
  const { deviceId } = lock;
  const previous = ctx.store.slots.get(deviceId, op.slot) ?? emptySlot(op.slot);
  if (op.kind === 'write') ctx.changes.slot(deviceId, withPending(previous, op), { durable: false });
  try {
    if (op.kind === 'write') await handle.writeSlot(op.slot, op.code, op.schedule);
    else await handle.clearSlot(op.slot);
  } catch (caught) {
    const error = asDriverError(ctx, deviceId, caught);
    ctx.changes.transaction(() =>
      op.kind === 'write' ? writeFailed(ctx, lock, handle, op, previous, error) : clearFailed(ctx, op, error),
    );
    retryLater(ctx, lock, op, error);
    return false;
  }
  lock.retries.succeeded(retryKey(op));
  lock.verified.add(op.slot);
  ctx.changes.transaction(() =>
    op.kind === 'write' ? writeConfirmed(ctx, deviceId, op) : clearConfirmedOp(ctx, lock, op),
  );
  return true;
}

/** A driver promises DriverErrors; anything else is a driver bug, logged, and taken as no answer. */
function asDriverError(ctx: ReconcileContext, deviceId: string, caught: unknown): DriverError {
  if (caught instanceof DriverError) return caught;
  ctx.log.error({ err: caught, device_id: deviceId }, 'driver command threw');
  return new DriverError('outcome_unknown', `driver failure: ${String(caught)}`);
}

function retryLater(ctx: ReconcileContext, lock: LockMemory, op: SlotOperation, error: DriverError): void {
  // A refused write is suspended (no loop); a removal is never given up.
  if (error.permanent && op.kind === 'write') {
    ctx.log.warn({ device_id: lock.deviceId, slot: op.slot, reason: error.kind }, 'lock refused the code');
    return;
  }
  const delay = lock.retries.failed(retryKey(op), ctx.now());
  ctx.log.warn(
    { device_id: lock.deviceId, slot: op.slot, operation: op.kind, reason: error.kind, retry_in_ms: delay },
    'lock did not confirm; will retry',
  );
}

function writeConfirmed(ctx: ReconcileContext, deviceId: string, op: WriteOp): void {
  ctx.changes.slot(deviceId, writtenSlot(op));
  const code = ctx.store.codes.getAny(op.access_code_id);
  // The code may have changed while the command was out: then it is not this PIN that is set.
  if (!code || code.deleted_at !== null || code.code !== op.code) return;
  ctx.changes.accessCode(confirmOnLock(code, ctx.now()));
}

function writeFailed(
  ctx: ReconcileContext,
  lock: LockMemory,
  handle: LockHandle,
  op: WriteOp,
  previous: ObservedSlot,
  error: DriverError,
): void {
  if (!error.permanent) {
    // The intent stays: the same slot is written again after backoff. A write that may have
    // landed is verified first by reading the slot, where the lock can say what it holds.
    if (error.kind !== 'outcome_unknown') return;
    if (handle.capabilities?.can_read_codes) {
      lock.reads.some([op.slot]);
      return;
    }
    const code = ctx.store.codes.get(op.access_code_id);
    if (code) ctx.changes.accessCode({ code: inDoubt(code), events: [] });
    return;
  }
  ctx.changes.slot(lock.deviceId, previous); // a refused write left the slot as it was
  const code = ctx.store.codes.get(op.access_code_id);
  if (!code) return;
  const { code: errorCode, message } = refusalError(error);
  ctx.changes.accessCode(refuseSet(code, errorCode, message, ctx.now()));
}

function clearConfirmedOp(ctx: ReconcileContext, lock: LockMemory, op: ClearOp): void {
  const { deviceId } = lock;
  const now = ctx.now();
  ctx.changes.slot(deviceId, emptySlot(op.slot));
  const code = op.access_code_id === null ? undefined : ctx.store.codes.getAny(op.access_code_id);
  const transition = code ? clearConfirmed(code, now) : null;
  if (code && transition) {
    ctx.changes.accessCode(transition);
    if (transition.gone && code.delete_attempt_id) attemptDone(ctx, code.delete_attempt_id);
  }
  const unmanaged = op.unmanaged_id === null ? undefined : ctx.store.unmanaged.get(op.unmanaged_id);
  if (unmanaged) unmanagedRemoved(ctx, unmanaged);
  // A freed slot gives codes that found no space another chance.
  for (const waiting of ctx.store.codes.liveForDevice(deviceId)) {
    if (
      waiting.suspended &&
      waiting.errors.some((e) => e.error_code === 'no_space_for_access_code_on_device')
    ) {
      ctx.changes.accessCode({ code: resume(waiting, now), events: [] });
    }
  }
}

function clearFailed(ctx: ReconcileContext, op: ClearOp, error: DriverError): void {
  // Removal is never given up: it is retried with backoff; a refusal is reported once.
  if (!error.permanent || op.access_code_id === null) return;
  const code = ctx.store.codes.getAny(op.access_code_id);
  const transition = code ? removalRefused(code, error.kind, ctx.now()) : null;
  if (transition && transition.events.length > 0) ctx.changes.accessCode(transition);
}
