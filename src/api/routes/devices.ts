// devices/list, devices/get, locks/lock_door, locks/unlock_door.
import { z } from 'zod';
import { DriverError } from '../../../drivers/driver.ts';
import { type ActionType, attemptView } from '../../store/action-attempts.ts';
import { deviceView } from '../../views/device-view.ts';
import type { ApiContext } from '../context.ts';
import { deviceNotFound } from '../errors.ts';
import { id, parseParams, requestId } from '../validation.ts';

const noParams = z.strictObject({ request_id: requestId });
const deviceParams = z.strictObject({ request_id: requestId, device_id: id });

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
function doorAction(
  ctx: ApiContext,
  params: unknown,
  type: Extract<ActionType, 'LOCK_DOOR' | 'UNLOCK_DOOR'>,
) {
  const p = parseParams(deviceParams, params);
  const device = ctx.store.devices.get(p.device_id);
  if (!device) throw deviceNotFound(p.device_id);
  const now = ctx.now();
  const attempt = ctx.store.attempts.create(type, device.device_id, null, now);
  const lock = ctx.registry.get(device.device_id);
  const prefix = type === 'LOCK_DOOR' ? 'action_attempt.lock_door' : 'action_attempt.unlock_door';
  const attemptId = attempt.action_attempt_id;
  if (!lock?.online) {
    ctx.store.attempts.fail(
      attemptId,
      { type: 'device_offline', message: 'The lock is not answering.' },
      now,
    );
    ctx.store.events.append(
      { event_type: `${prefix}.failed`, device_id: device.device_id, action_attempt_id: attemptId },
      now,
    );
  } else {
    ctx.store.tx.afterCommit(() => {
      void ctx.reconciler
        .worker(device.device_id)
        .runAction((l) => (type === 'LOCK_DOOR' ? l.lock() : l.unlock()))
        .then(
          () => finishDoorAction(ctx, device.device_id, attemptId, type, null),
          (error: unknown) => finishDoorAction(ctx, device.device_id, attemptId, type, error),
        );
    });
  }
  return { action_attempt: attemptView(ctx.store.attempts.get(attemptId)!) };
}

function finishDoorAction(
  ctx: ApiContext,
  deviceId: string,
  attemptId: string,
  type: ActionType,
  error: unknown,
) {
  const now = ctx.now();
  const prefix = type === 'LOCK_DOOR' ? 'action_attempt.lock_door' : 'action_attempt.unlock_door';
  ctx.store.tx.run(() => {
    if (error) {
      const kind = error instanceof DriverError ? error.kind : 'failed';
      ctx.store.attempts.fail(
        attemptId,
        { type: kind, message: `The lock did not carry out the action (${kind}).` },
        now,
      );
      ctx.store.events.append(
        { event_type: `${prefix}.failed`, device_id: deviceId, action_attempt_id: attemptId },
        now,
      );
      return;
    }
    const locked = type === 'LOCK_DOOR';
    ctx.store.attempts.succeed(attemptId, {}, now);
    ctx.store.events.append(
      { event_type: `${prefix}.succeeded`, device_id: deviceId, action_attempt_id: attemptId },
      now,
    );
    ctx.store.events.append(
      {
        event_type: locked ? 'lock.locked' : 'lock.unlocked',
        device_id: deviceId,
        action_attempt_id: attemptId,
        fields: { method: 'remote' },
      },
      now,
    );
    const device = ctx.store.devices.get(deviceId);
    if (device) {
      ctx.store.devices.update({ ...device, locked });
      ctx.retained.device({ ...device, locked });
    }
  });
}
