// access_codes/unmanaged/list, get, convert_to_managed, delete: codes found on a lock that the
// bridge did not write. They are never touched unless one of these routes asks.
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { attemptFailed, attemptSucceeded, pendingAttempt } from '../../core/action-attempt.ts';
import { convertedToManaged } from '../../core/lifecycle.ts';
import {
  conversionRefused,
  converted,
  removalRequested,
  type UnmanagedCode,
} from '../../core/unmanaged-code.ts';
import { accessCodeView, withoutCode } from '../../views/access-code-view.ts';
import { attemptView } from '../../views/action-attempt-view.ts';
import { unmanagedView } from '../../views/unmanaged-view.ts';
import type { ApiContext } from '../context.ts';
import { accessCodeNotFound, deviceNotFound } from '../errors.ts';
import { id, parseParams, requestId } from '../validation.ts';

export const byDevice = z.strictObject({ request_id: requestId, device_id: id });
export const byCode = z.strictObject({ request_id: requestId, access_code_id: id });

function findUnmanaged(ctx: ApiContext, params: unknown): UnmanagedCode {
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
  const pending = pendingAttempt(
    randomUUID(),
    'CONVERT_ACCESS_CODE_TO_MANAGED',
    record.device_id,
    record.access_code_id,
    ctx.now(),
  );
  if (record.code === null || record.delete_attempt_id !== null) {
    const message =
      record.code === null
        ? 'This lock cannot read codes back, so the bridge does not know the code to manage.'
        : 'This code is being deleted.';
    const failed = attemptFailed(pending, { type: 'failed_to_convert_to_managed', message });
    ctx.changes.unmanagedCode(conversionRefused(record));
    ctx.changes.attempt(failed);
    return { action_attempt: attemptView(failed.attempt) };
  }
  const managed = convertedToManaged({
    access_code_id: record.access_code_id,
    device_id: record.device_id,
    name: `Slot ${record.slot}`,
    code: record.code,
    created_at: record.created_at,
  });
  const slot = ctx.store.slots.get(record.device_id, record.slot);
  ctx.changes.unmanagedCode(converted(record));
  ctx.changes.accessCode(managed);
  if (slot) {
    ctx.changes.slot(record.device_id, {
      ...slot,
      owner: record.access_code_id,
      unmanaged_id: null,
      pending: null,
    });
  }
  const succeeded = attemptSucceeded(pending, { access_code: withoutCode(accessCodeView(managed.code)) });
  ctx.changes.attempt(succeeded);
  return { action_attempt: attemptView(succeeded.attempt) };
}

/** Pending until the lock confirms the slot is clear; retried like a managed code's removal. */
export function deleteUnmanaged(ctx: ApiContext, params: unknown) {
  const record = findUnmanaged(ctx, params);
  const existing =
    record.delete_attempt_id === null ? undefined : ctx.store.attempts.get(record.delete_attempt_id);
  if (existing) return { action_attempt: attemptView(existing) };
  const attempt = pendingAttempt(
    randomUUID(),
    'DELETE_UNMANAGED_ACCESS_CODE',
    record.device_id,
    record.access_code_id,
    ctx.now(),
  );
  ctx.changes.attempt({ attempt, events: [] });
  ctx.changes.unmanagedCode(removalRequested(record, attempt.action_attempt_id));
  return { action_attempt: attemptView(attempt) };
}
