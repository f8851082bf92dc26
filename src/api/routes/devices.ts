// devices/list, devices/get, locks/lock_door, locks/unlock_door.
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  type ActionAttempt,
  attemptFailed,
  attemptSucceeded,
  pendingAttempt,
} from '../../core/action-attempt.ts';
import { actuated } from '../../core/device.ts';
import { attemptView } from '../../views/action-attempt-view.ts';
import { deviceView } from '../../views/device-view.ts';
import type { ActuationOutcome, ApiContext } from '../context.ts';
import { deviceNotFound } from '../errors.ts';
import { id, parseParams, requestId } from '../validation.ts';

export const noParams = z.strictObject({ request_id: requestId });
export const deviceParams = z.strictObject({ request_id: requestId, device_id: id });

export function listDevices(ctx: ApiContext, params: unknown) {
  parseParams(noParams, params);
  return { devices: ctx.store.devices.list().map(deviceView) };
}

export function getDevice(ctx: ApiContext, params: unknown) {
  const p = parseParams(deviceParams, params);
  const device = ctx.store.devices.get(p.device_id);
  if (!device) throw deviceNotFound(p.device_id);
  return { device: deviceView(device) };
}

export const lockDoor = (ctx: ApiContext, params: unknown) => doorAction(ctx, params, 'LOCK_DOOR');
export const unlockDoor = (ctx: ApiContext, params: unknown) => doorAction(ctx, params, 'UNLOCK_DOOR');

/**
 * The attempt is pending until the lock confirms. A lock that is not answering fails it at once:
 * an unlock must never be carried out late, long after whoever asked has gone.
 */
function doorAction(ctx: ApiContext, params: unknown, type: 'LOCK_DOOR' | 'UNLOCK_DOOR') {
  const p = parseParams(deviceParams, params);
  const device = ctx.store.devices.get(p.device_id);
  if (!device) throw deviceNotFound(p.device_id);
  const pending = pendingAttempt(randomUUID(), type, device.device_id, null, ctx.now());
  if (!ctx.locks.isOnline(device.device_id)) {
    const failed = attemptFailed(pending, { type: 'device_offline', message: 'The lock is not answering.' });
    ctx.changes.attempt(failed);
    return { action_attempt: attemptView(failed.attempt) };
  }
  ctx.changes.attempt({ attempt: pending, events: [] });
  ctx.store.tx.afterCommit(() => {
    const action = type === 'LOCK_DOOR' ? 'lock' : 'unlock';
    void ctx.locks
      .actuate(device.device_id, action)
      .then((outcome) => doorActionEnded(ctx, pending, outcome));
  });
  return { action_attempt: attemptView(pending) };
}

function doorActionEnded(ctx: ApiContext, attempt: ActionAttempt, outcome: ActuationOutcome): void {
  if (!outcome.ok) {
    const message = `The lock did not carry out the action (${outcome.reason}).`;
    ctx.changes.attempt(attemptFailed(attempt, { type: outcome.reason, message }));
    return;
  }
  ctx.changes.transaction(() => {
    ctx.changes.attempt(attemptSucceeded(attempt));
    const device = ctx.store.devices.get(attempt.device_id ?? '');
    if (device)
      ctx.changes.device(actuated(device, attempt.action_type === 'LOCK_DOOR', attempt.action_attempt_id));
  });
}
