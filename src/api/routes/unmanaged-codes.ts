// access_codes/unmanaged/list, get, convert_to_managed, delete: codes found on a lock that the
// bridge did not write. They are never touched unless one of these routes asks.
import { z } from 'zod';
import { type ManagedCode, newManagedCode, toView } from '../../core/access-code.ts';
import { attemptView } from '../../store/action-attempts.ts';
import type { UnmanagedCodeRecord } from '../../store/unmanaged-codes.ts';
import { unmanagedView } from '../../views/unmanaged-view.ts';
import type { ApiContext } from '../context.ts';
import { accessCodeNotFound, deviceNotFound } from '../errors.ts';
import { id, parseParams, requestId } from '../validation.ts';

const byDevice = z.strictObject({ request_id: requestId, device_id: id });
const byCode = z.strictObject({ request_id: requestId, access_code_id: id });

function findUnmanaged(ctx: ApiContext, params: unknown): UnmanagedCodeRecord {
  const p = parseParams(byCode, params);
  const record = ctx.store.unmanaged.get(p.access_code_id);
  if (!record) throw accessCodeNotFound(p.access_code_id);
  return record;
}

export function listUnmanaged(ctx: ApiContext, params: unknown) {
  const p = parseParams(byDevice, params);
  if (!ctx.store.devices.get(p.device_id)) throw deviceNotFound(p.device_id);
  return { access_codes: ctx.store.unmanaged.forDevice(p.device_id).map((u) => unmanagedView(u)) };
}

export function getUnmanaged(ctx: ApiContext, params: unknown) {
  return { access_code: unmanagedView(findUnmanaged(ctx, params)) };
}

/**
 * The code stays in its slot and becomes managed under the same id. It needs the PIN: a lock
 * that can't read codes back can't give it, and the attempt fails (as the seed says of such locks).
 */
export function convertUnmanaged(ctx: ApiContext, params: unknown) {
  const record = findUnmanaged(ctx, params);
  const now = ctx.now();
  const ids = { device_id: record.device_id, access_code_id: record.access_code_id };
  const attempt = ctx.store.attempts.create(
    'CONVERT_ACCESS_CODE_TO_MANAGED',
    record.device_id,
    record.access_code_id,
    now,
  );
  const id = attempt.action_attempt_id;
  if (record.code === null || record.delete_attempt_id !== null) {
    const message =
      record.code === null
        ? 'This lock cannot read codes back, so the bridge does not know the code to manage.'
        : 'This code is being deleted.';
    ctx.store.attempts.fail(id, { type: 'failed_to_convert_to_managed', message }, now);
    ctx.store.events.append(
      { event_type: 'access_code.unmanaged.failed_to_convert_to_managed', ...ids },
      now,
    );
    ctx.store.events.append(
      { event_type: 'action_attempt.convert_access_code_to_managed.failed', ...ids, action_attempt_id: id },
      now,
    );
  } else {
    const code = managedFrom(record, record.code);
    const slot = ctx.store.slots.get(record.device_id, record.slot);
    ctx.store.unmanaged.remove(record.access_code_id);
    ctx.store.codes.save(code);
    if (slot)
      ctx.store.slots.put(record.device_id, {
        ...slot,
        owner: code.access_code_id,
        unmanaged_id: null,
        confirmed: true,
      });
    ctx.store.attempts.succeed(id, { access_code: toView(code, false) }, now);
    ctx.store.events.append({ event_type: 'access_code.unmanaged.converted_to_managed', ...ids }, now);
    ctx.store.events.append(
      {
        event_type: 'action_attempt.convert_access_code_to_managed.succeeded',
        ...ids,
        action_attempt_id: id,
      },
      now,
    );
    ctx.retained.code(code);
  }
  return { action_attempt: attemptView(ctx.store.attempts.get(id)!) };
}

/** Pending until the lock confirms the slot is clear; retried like a managed code's removal. */
export function deleteUnmanaged(ctx: ApiContext, params: unknown) {
  const record = findUnmanaged(ctx, params);
  const now = ctx.now();
  const existing =
    record.delete_attempt_id === null ? undefined : ctx.store.attempts.get(record.delete_attempt_id);
  if (existing) return { action_attempt: attemptView(existing) };
  const attempt = ctx.store.attempts.create(
    'DELETE_UNMANAGED_ACCESS_CODE',
    record.device_id,
    record.access_code_id,
    now,
  );
  ctx.store.unmanaged.markDeleting(record.access_code_id, attempt.action_attempt_id);
  ctx.store.tx.afterCommit(() => ctx.reconciler.wake(record.device_id));
  return { action_attempt: attemptView(attempt) };
}

function managedFrom(record: UnmanagedCodeRecord, pin: string): ManagedCode {
  return newManagedCode({
    access_code_id: record.access_code_id,
    device_id: record.device_id,
    name: `Slot ${record.slot}`,
    code: pin,
    created_at: record.created_at,
    status: 'set',
    pending_since: null,
  });
}
