// zigbee/permit_join and zigbee/remove_device: the Zigbee network, through the NetworkControl port
// (the Zigbee driver carries them out; this layer does not know it).
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  type ActionAttempt,
  attemptFailed,
  attemptSucceeded,
  pendingAttempt,
} from '../../core/action-attempt.ts';
import type { Device } from '../../core/device.ts';
import { attemptView } from '../../views/action-attempt-view.ts';
import type { ApiContext, NetworkControl } from '../context.ts';
import { ApiError, deviceNotFound, invalidField } from '../errors.ts';
import { id, parseParams, requestId } from '../validation.ts';

export const permitParams = z.strictObject({
  request_id: requestId,
  seconds: z.number().int().min(0).max(254),
  device_id: id.optional(),
});

export const removeParams = z.strictObject({
  request_id: requestId,
  device_id: id,
  force: z.boolean().optional(),
});

/**
 * Opens (or with 0 closes) joining; answered once asked of the coordinator. device.added follows
 * for each lock that joins and is interviewed.
 */
export function permitJoin(ctx: ApiContext, params: unknown) {
  const p = parseParams(permitParams, params);
  const network = runningNetwork(ctx);
  const through = p.device_id === undefined ? null : zigbeeDevice(ctx, p.device_id);
  ctx.store.tx.afterCommit(() => {
    network
      .permitJoin(p.seconds, through?.device_id ?? null)
      .catch((error: unknown) =>
        ctx.log.warn({ err: error, seconds: p.seconds }, 'the Zigbee coordinator did not open joining'),
      );
  });
  return {};
}

/**
 * Asks the lock to leave the network: a REMOVE_DEVICE attempt, successful once the lock confirmed
 * (device.removed follows). Its codes stay in the store until they are deleted.
 */
export function removeDevice(ctx: ApiContext, params: unknown) {
  const p = parseParams(removeParams, params);
  const network = runningNetwork(ctx);
  const device = zigbeeDevice(ctx, p.device_id);
  const pending = pendingAttempt(randomUUID(), 'REMOVE_DEVICE', device.device_id, null, ctx.now());
  ctx.changes.attempt({ attempt: pending, events: [] });
  ctx.store.tx.afterCommit(() => {
    network.removeDevice(device.device_id, p.force ?? false).then(
      () => ctx.changes.attempt(attemptSucceeded(pending)),
      (error: unknown) => removalFailed(ctx, pending, error),
    );
  });
  return { action_attempt: attemptView(pending) };
}

function removalFailed(ctx: ApiContext, attempt: ActionAttempt, error: unknown): void {
  const reason = error instanceof Error ? error.message : String(error);
  ctx.log.warn({ device_id: attempt.device_id, reason }, 'removing the lock from the Zigbee network failed');
  ctx.changes.attempt(
    attemptFailed(attempt, { type: 'device_not_removed', message: `The lock was not removed: ${reason}.` }),
  );
}

function runningNetwork(ctx: ApiContext): NetworkControl {
  if (ctx.network === null) {
    throw new ApiError(
      'zigbee_not_configured',
      'No Zigbee network is configured on this bridge (no zigbee section).',
    );
  }
  if (!ctx.network.available) {
    throw new ApiError(
      'zigbee_unavailable',
      'The Zigbee coordinator is not running now; try again once it is back.',
    );
  }
  return ctx.network;
}

function zigbeeDevice(ctx: ApiContext, deviceId: string): Device {
  const device = ctx.store.devices.get(deviceId);
  if (!device) throw deviceNotFound(deviceId);
  if (device.driver !== 'zigbee') throw invalidField('device_id', 'Must be a Zigbee device');
  return device;
}
