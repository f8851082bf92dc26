// A lock's codes' statuses as time passes and the lock's slots are learnt: windows opening and
// closing, delays and failures, codes found already set, codes that find no free slot. No commands.
import type { ManagedCode } from '../core/access-code.ts';
import { checkDelay, refuseSet } from '../core/lifecycle.ts';
import { type DesiredCode, type ObservedSlot, sameSchedule } from '../core/slot.ts';
import { confirmOnLock, windowStep } from '../core/window-lifecycle.ts';
import { appendEvents, type ReconcileContext, saveCode } from './context.ts';

/** Time-bound codes whose window opened or closed: statuses follow, expired codes go. */
export function applyWindows(ctx: ReconcileContext, deviceId: string): void {
  const now = ctx.now();
  const policy = ctx.windowPolicy();
  const slots = ctx.store.slots.forDevice(deviceId);
  for (const code of ctx.store.codes.forDevice(deviceId)) {
    if (code.window === null || code.deleted_at !== null) continue;
    const onLock = slots.some(
      (s) => s.owner === code.access_code_id && (s.state === 'occupied' || !s.confirmed),
    );
    const step = windowStep(code, now, policy, code.is_scheduled_on_device, onLock);
    if (step.kind === 'none') continue;
    ctx.store.tx.run(() => {
      if (step.kind === 'save') {
        saveCode(ctx, step.code, []);
        return;
      }
      ctx.store.codes.remove(code.access_code_id);
      appendEvents(ctx, step.events);
      ctx.retained.codeDeleted(code.access_code_id);
    });
  }
}

/** Warnings, then failures, for codes the lock has not confirmed in time. */
export function checkDelays(ctx: ReconcileContext, deviceId: string): void {
  const now = ctx.now();
  for (const code of ctx.store.codes.forDevice(deviceId)) {
    const transition = checkDelay(code, now, ctx.timing);
    if (transition.events.length > 0)
      ctx.store.tx.run(() => saveCode(ctx, transition.code, transition.events));
  }
}

/** A code whose slot the lock has confirmed is set (e.g. a write that landed before a crash). */
export function settleConfirmed(
  ctx: ReconcileContext,
  codes: readonly ManagedCode[],
  desired: readonly DesiredCode[],
  observed: readonly ObservedSlot[],
): void {
  const wanted = new Map(desired.map((d) => [d.access_code_id, d]));
  for (const code of codes) {
    const want = wanted.get(code.access_code_id);
    const settled = code.status === 'set' || (code.status === 'unset' && code.pending_since === null);
    if (!want || settled) continue;
    const onLock = observed.some(
      (s) =>
        s.owner === code.access_code_id &&
        s.confirmed &&
        s.state === 'occupied' &&
        s.code === want.code &&
        sameSchedule(s.schedule, want.schedule),
    );
    if (!onLock) continue;
    const transition = confirmOnLock(code, ctx.now());
    ctx.store.tx.run(() => saveCode(ctx, transition.code, transition.events));
  }
}

/** Codes the diff found no free slot for: failed, and suspended until a slot is freed. */
export function reportNoSpace(
  ctx: ReconcileContext,
  codes: readonly ManagedCode[],
  unplaced: readonly string[],
): void {
  for (const id of unplaced) {
    const code = codes.find((c) => c.access_code_id === id);
    if (!code || code.suspended) continue;
    const transition = refuseSet(
      code,
      'no_space_for_access_code_on_device',
      'The lock has no free slot for this code.',
      ctx.now(),
    );
    ctx.store.tx.run(() => saveCode(ctx, transition.code, transition.events));
  }
}
