// Runs one slot operation on a lock and records what the lock answered. The intent is committed
// before the command leaves, so a crash mid-write is retried after restart; "set" is recorded only
// after the lock confirmed.
import { DriverError, type LockHandle } from '../../drivers/driver.ts';
import { confirmRemoved, inDoubt, refuseSet, resume } from '../core/lifecycle.ts';
import { emptySlot, type ObservedSlot, type SlotOperation, writtenSlot } from '../core/slot.ts';
import { confirmOnLock, expiredRemoved, hasExpired } from '../core/window-lifecycle.ts';
import { appendEvents, type ReconcileContext, saveCode } from './context.ts';
import { refusalError } from './refusals.ts';
import { unmanagedRemoved } from './unmanaged-removal.ts';

export type CommandOutcome = { ok: true } | { ok: false; error: DriverError };

export async function runSlotOperation(
  ctx: ReconcileContext,
  deviceId: string,
  lock: LockHandle,
  op: SlotOperation,
): Promise<CommandOutcome> {
  const previous = ctx.store.slots.get(deviceId, op.slot) ?? emptySlot(op.slot);
  if (op.kind === 'write') {
    ctx.store.tx.run(() =>
      ctx.store.slots.put(deviceId, {
        ...previous,
        owner: op.access_code_id,
        code: op.code,
        schedule: op.schedule,
        confirmed: false,
        unmanaged_id: null,
      }),
    );
  }
  try {
    if (op.kind === 'write') await lock.writeSlot(op.slot, op.code, op.schedule);
    else await lock.clearSlot(op.slot);
  } catch (caught) {
    const error =
      caught instanceof DriverError
        ? caught
        : new DriverError('timeout', `driver failure: ${String(caught)}`);
    if (!(caught instanceof DriverError))
      ctx.log.error({ err: caught, device_id: deviceId }, 'driver command threw');
    ctx.store.tx.run(() =>
      op.kind === 'write'
        ? writeFailed(ctx, deviceId, op, previous, error, lock)
        : clearFailed(ctx, op, error),
    );
    return { ok: false, error };
  }
  ctx.store.tx.run(() =>
    op.kind === 'write' ? writeConfirmed(ctx, deviceId, op) : clearConfirmed(ctx, deviceId, op),
  );
  return { ok: true };
}

function writeConfirmed(
  ctx: ReconcileContext,
  deviceId: string,
  op: Extract<SlotOperation, { kind: 'write' }>,
) {
  ctx.store.slots.put(deviceId, writtenSlot(op));
  const code = ctx.store.codes.getAny(op.access_code_id);
  // The code may have changed while the command was out: then it is not this PIN that is set.
  if (!code || code.deleted_at !== null || code.code !== op.code) return;
  const transition = confirmOnLock(code, ctx.now());
  saveCode(ctx, transition.code, transition.events);
}

function writeFailed(
  ctx: ReconcileContext,
  deviceId: string,
  op: Extract<SlotOperation, { kind: 'write' }>,
  previous: ObservedSlot,
  error: DriverError,
  lock: LockHandle,
) {
  if (!error.permanent) {
    // The intent stays: the same slot is written again after backoff.
    const code = ctx.store.codes.get(op.access_code_id);
    if (code && !lock.capabilities?.can_read_codes && outcomeInDoubt(error)) saveCode(ctx, inDoubt(code), []);
    return;
  }
  ctx.store.slots.put(deviceId, previous); // a refused write left the slot as it was
  const code = ctx.store.codes.get(op.access_code_id);
  if (!code) return;
  const { code: errorCode, message } = refusalError(error);
  const transition = refuseSet(code, errorCode, message, ctx.now());
  saveCode(ctx, transition.code, transition.events);
}

/** The command left but no answer came: it may or may not have reached the lock. */
const outcomeInDoubt = (error: DriverError) => error.kind === 'timeout';

function clearConfirmed(
  ctx: ReconcileContext,
  deviceId: string,
  op: Extract<SlotOperation, { kind: 'clear' }>,
) {
  ctx.store.slots.put(deviceId, emptySlot(op.slot));
  if (op.access_code_id !== null) {
    const code = ctx.store.codes.getAny(op.access_code_id);
    if (code && code.deleted_at !== null) {
      if (code.delete_attempt_id) ctx.store.attempts.succeed(code.delete_attempt_id, {}, ctx.now());
      appendEvents(ctx, confirmRemoved(code));
      ctx.store.codes.remove(code.access_code_id);
    } else if (code && hasExpired(code, ctx.now())) {
      appendEvents(ctx, expiredRemoved(code));
      ctx.store.codes.remove(code.access_code_id);
      ctx.retained.codeDeleted(code.access_code_id);
    } else if (code && code.window !== null && code.status === 'removing') {
      // A time-bound code left its window: it is off the lock now.
      saveCode(ctx, { ...code, status: 'unset', pending_since: null }, [
        {
          event_type: 'access_code.removed_from_device',
          device_id: deviceId,
          access_code_id: code.access_code_id,
        },
      ]);
    }
  }
  if (op.unmanaged_id !== null) {
    const unmanaged = ctx.store.unmanaged.get(op.unmanaged_id);
    if (unmanaged) unmanagedRemoved(ctx, unmanaged);
  }
  // A freed slot gives codes that found no space another chance.
  for (const waiting of ctx.store.codes.liveForDevice(deviceId)) {
    if (
      waiting.suspended &&
      waiting.errors.some((e) => e.error_code === 'no_space_for_access_code_on_device')
    ) {
      saveCode(ctx, resume(waiting, ctx.now()), []);
    }
  }
}

function clearFailed(
  ctx: ReconcileContext,
  op: Extract<SlotOperation, { kind: 'clear' }>,
  error: DriverError,
) {
  // Removal is never given up: it is retried with backoff; a refusal is reported once.
  if (!error.permanent || op.access_code_id === null) return;
  const code = ctx.store.codes.getAny(op.access_code_id);
  if (!code || code.deleted_at === null) return;
  if (code.errors.some((e) => e.error_code === 'failed_to_remove_from_device')) return;
  const failed = {
    ...code,
    errors: [
      ...code.errors,
      {
        error_code: 'failed_to_remove_from_device' as const,
        message: `The lock refused to clear the slot (${error.kind}); the bridge keeps retrying.`,
        created_at: new Date(ctx.now()).toISOString(),
      },
    ],
  };
  saveCode(ctx, failed, [
    {
      event_type: 'access_code.failed_to_remove_from_device',
      device_id: code.device_id,
      access_code_id: code.access_code_id,
      fields: { error_code: 'failed_to_remove_from_device' },
    },
  ]);
}
