// access_codes/create, get, list, update, delete. Each runs inside the request's transaction and
// writes through the one write path, which wakes the lock only after the commit.
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { type ManagedCode, newManagedCode, type TimeWindow } from '../../core/access-code.ts';
import { attemptSucceeded, pendingAttempt } from '../../core/action-attempt.ts';
import type { Device } from '../../core/device.ts';
import { created, deleted, updated } from '../../core/lifecycle.ts';
import { slotOwner } from '../../core/slot.ts';
import { accessCodeView } from '../../views/access-code-view.ts';
import { attemptView } from '../../views/action-attempt-view.ts';
import { chooseCode, rejectDuplicate } from '../code-rules.ts';
import type { ApiContext } from '../context.ts';
import { accessCodeNotFound, deviceNotFound, invalidField } from '../errors.ts';
import { id, instant, parseParams, pin, requestId } from '../validation.ts';

const windowFields = { starts_at: instant.optional(), ends_at: instant.optional() };

export const createSchema = z.strictObject({
  request_id: requestId,
  device_id: id,
  code: pin.optional(),
  name: z.string().max(256).nullable().optional(),
  ...windowFields,
  common_code_key: z.string().max(256).nullable().optional(),
  prefer_native_scheduling: z.boolean().optional(),
  allow_external_modification: z.boolean().optional(),
  is_one_time_use: z.boolean().optional(),
});

export const updateSchema = z.strictObject({
  request_id: requestId,
  access_code_id: id,
  name: z.string().max(256).nullable().optional(),
  code: pin.optional(),
  ...windowFields,
  type: z.enum(['ongoing', 'time_bound']).optional(),
  allow_external_modification: z.boolean().optional(),
  is_one_time_use: z.boolean().optional(),
});

export const getSchema = z.strictObject({ request_id: requestId, access_code_id: id });
export const listSchema = z
  .strictObject({
    request_id: requestId,
    device_id: id.optional(),
    access_code_ids: z.array(id).max(1000).optional(),
  })
  .refine((p) => p.device_id !== undefined || p.access_code_ids !== undefined, {
    message: 'Either device_id or access_code_ids is required',
    path: ['device_id'],
  });

/** starts_at and ends_at: both or neither, ends_at after starts_at and in the future. */
function parseWindow(
  p: { starts_at?: number; ends_at?: number },
  now: number,
): TimeWindow | null | undefined {
  if (p.starts_at === undefined && p.ends_at === undefined) return undefined;
  if (p.starts_at === undefined) throw invalidField('starts_at', 'Required when ends_at is given');
  if (p.ends_at === undefined) throw invalidField('ends_at', 'Required when starts_at is given');
  if (p.ends_at <= p.starts_at) throw invalidField('ends_at', 'Must be after starts_at');
  if (p.ends_at <= now) throw invalidField('ends_at', 'Must be in the future');
  return { starts_at: p.starts_at, ends_at: p.ends_at };
}

/** The lock will hold the window itself (native schedules), unless the request preferred not. */
const schedulesNatively = (device: Device, window: TimeWindow | null, prefer: boolean): boolean =>
  window !== null && (device.capabilities?.supports_native_scheduling ?? false) && prefer;

export function createAccessCode(ctx: ApiContext, params: unknown) {
  const p = parseParams(createSchema, params);
  const now = ctx.now();
  const device = ctx.store.devices.get(p.device_id);
  if (!device) throw deviceNotFound(p.device_id);
  const window = parseWindow(p, now) ?? null;
  const pinCode = chooseCode(ctx, device, p.code, window);
  const native = schedulesNatively(device, window, p.prefer_native_scheduling !== false);
  const code = newManagedCode({
    access_code_id: randomUUID(),
    device_id: device.device_id,
    name: p.name ?? null,
    code: pinCode,
    type: window ? 'time_bound' : 'ongoing',
    window,
    is_scheduled_on_device: native,
    allow_external_modification: p.allow_external_modification ?? false,
    is_one_time_use: p.is_one_time_use ?? false,
    prefer_native_scheduling: p.prefer_native_scheduling ?? true,
    common_code_key: p.common_code_key ?? null,
    created_at: now,
  });
  const transition = created(code, now, ctx.windowPolicy());
  ctx.changes.accessCode(transition);
  return { access_code: accessCodeView(transition.code) };
}

export function getAccessCode(ctx: ApiContext, params: unknown) {
  const p = parseParams(getSchema, params);
  const code = ctx.store.codes.get(p.access_code_id);
  if (!code) throw accessCodeNotFound(p.access_code_id);
  return { access_code: accessCodeView(code) };
}

export function listAccessCodes(ctx: ApiContext, params: unknown) {
  const p = parseParams(listSchema, params);
  let codes: ManagedCode[];
  if (p.device_id !== undefined) {
    if (!ctx.store.devices.get(p.device_id)) throw deviceNotFound(p.device_id);
    codes = ctx.store.codes.liveForDevice(p.device_id);
  } else {
    codes = [];
  }
  if (p.access_code_ids !== undefined) {
    const wanted = new Set(p.access_code_ids);
    const found =
      p.device_id !== undefined
        ? codes
        : p.access_code_ids.map((i) => ctx.store.codes.get(i)).filter((c) => c !== undefined);
    codes = found.filter((c) => wanted.has(c.access_code_id));
  }
  return { access_codes: codes.map((c) => accessCodeView(c)) };
}

export function updateAccessCode(ctx: ApiContext, params: unknown) {
  const p = parseParams(updateSchema, params);
  const now = ctx.now();
  const current = ctx.store.codes.get(p.access_code_id);
  if (!current) throw accessCodeNotFound(p.access_code_id);
  const device = ctx.store.devices.get(current.device_id)!;
  const givenWindow = parseWindow(p, now);
  if (p.type === 'time_bound' && givenWindow === undefined && current.window === null) {
    throw invalidField('starts_at', 'Required when type is time_bound');
  }
  const window = p.type === 'ongoing' ? null : givenWindow === undefined ? current.window : givenWindow;
  const pinCode =
    p.code === undefined ? current.code : chooseCode(ctx, device, p.code, window, current.access_code_id);
  if (p.code === undefined && window !== current.window)
    rejectDuplicate(ctx, device.device_id, pinCode, window, current.access_code_id);

  const next: ManagedCode = {
    ...current,
    name: p.name === undefined ? current.name : p.name,
    code: pinCode,
    window,
    type: window ? 'time_bound' : 'ongoing',
    allow_external_modification: p.allow_external_modification ?? current.allow_external_modification,
    is_one_time_use: p.is_one_time_use ?? current.is_one_time_use,
    is_scheduled_on_device: schedulesNatively(device, window, current.prefer_native_scheduling),
  };
  ctx.changes.accessCode(updated(current, next, now, ctx.windowPolicy()));
  return {};
}

export function deleteAccessCode(ctx: ApiContext, params: unknown) {
  const p = parseParams(getSchema, params);
  const now = ctx.now();
  const code = ctx.store.codes.get(p.access_code_id);
  if (!code) throw accessCodeNotFound(p.access_code_id);
  const pending = pendingAttempt(
    randomUUID(),
    'DELETE_ACCESS_CODE',
    code.device_id,
    code.access_code_id,
    now,
  );
  const onLock = ctx.store.slots.forDevice(code.device_id).some((s) => slotOwner(s) === code.access_code_id);
  // Pending until the lock confirms the slot is clear, retried until it does, across restarts;
  // done at once when the code never reached the lock.
  const transition = deleted(code, now, pending.action_attempt_id, onLock);
  const attempt = transition.gone ? attemptSucceeded(pending) : { attempt: pending, events: [] };
  ctx.changes.accessCode(transition);
  ctx.changes.attempt(attempt);
  return { action_attempt: attemptView(attempt.attempt) };
}
