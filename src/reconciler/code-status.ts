// A lock's codes' statuses as time passes and the lock's slots are learnt: windows opening and
// closing, delays and failures, codes found already set, codes that find no free slot. No commands;
// the transitions are core/lifecycle.ts's.
import type { ManagedCode } from '../core/access-code.ts';
import { checkDelay, confirmOnLock, refuseSet, windowStep } from '../core/lifecycle.ts';
import { type DesiredCode, type ObservedSlot, sameSchedule } from '../core/slot.ts';
import type { ReconcileContext } from './context.ts';

/**
 * What time alone changes, in one pass over the lock's codes: windows opening and closing (an
 * expired code not on the lock is deleted), then delay warnings and failures. Returns the codes
 * as they now stand, tombstones included, deleted ones left out.
 */
export function refreshStatuses(
  ctx: ReconcileContext,
  deviceId: string,
  slots: readonly ObservedSlot[],
): ManagedCode[] {
  const now = ctx.now();
  const policy = ctx.windowPolicy();
  const current: ManagedCode[] = [];
  // Codes a slot holds, or may hold (a write out): they are on the lock for the window's sake.
  const onLock = new Set(
    slots.flatMap((s) => [
      ...(s.state === 'occupied' && s.owner ? [s.owner] : []),
      ...(s.pending ? [s.pending.owner] : []),
    ]),
  );
  for (const stored of ctx.store.codes.forDevice(deviceId)) {
    const window = windowStep(
      stored,
      now,
      policy,
      stored.is_scheduled_on_device,
      onLock.has(stored.access_code_id),
    );
    if (window.kind === 'delete') {
      ctx.changes.accessCode({ code: stored, events: window.events, gone: true });
      continue;
    }
    const moved = window.kind === 'save' ? window.code : stored;
    const delay = checkDelay(moved, now, ctx.timing);
    if (moved !== stored || delay.events.length > 0) ctx.changes.accessCode(delay);
    current.push(delay.code);
  }
  return current;
}

/** A code whose slot the lock has confirmed is set (e.g. a write that landed before a crash). */
export function settleConfirmed(
  ctx: ReconcileContext,
  codes: readonly ManagedCode[],
  desired: readonly DesiredCode[],
  observed: readonly ObservedSlot[],
): void {
  const wanted = new Map(desired.map((d) => [d.access_code_id, d]));
  const confirmed = new Map(
    observed.flatMap((s) =>
      s.owner !== null && s.pending === null && s.state === 'occupied' ? [[s.owner, s]] : [],
    ),
  );
  for (const code of codes) {
    const want = wanted.get(code.access_code_id);
    const settled = code.status === 'set' || (code.status === 'unset' && code.pending_since === null);
    if (!want || settled) continue;
    const slot = confirmed.get(code.access_code_id);
    if (slot && slot.code === want.code && sameSchedule(slot.schedule, want.schedule)) {
      ctx.changes.accessCode(confirmOnLock(code, ctx.now()));
    }
  }
}

/** Codes the diff found no free slot for: failed, and suspended until a slot is freed. */
export function reportNoSpace(
  ctx: ReconcileContext,
  codes: readonly ManagedCode[],
  unplaced: readonly string[],
): void {
  const byId = new Map(codes.map((c) => [c.access_code_id, c]));
  for (const id of unplaced) {
    const code = byId.get(id);
    if (!code || code.suspended) continue;
    const message = 'The lock has no free slot for this code.';
    ctx.changes.accessCode(refuseSet(code, 'no_space_for_access_code_on_device', message, ctx.now()));
  }
}
