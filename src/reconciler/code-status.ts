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
 * as they now stand, tombstones included, deleted ones left out; `changed` when any moved.
 */
export function refreshStatuses(
  ctx: ReconcileContext,
  deviceId: string,
  slots: readonly ObservedSlot[],
): { codes: readonly ManagedCode[]; changed: boolean } {
  const codes = ctx.store.codes.forDevice(deviceId);
  // Only codes with a window, or waiting for the lock, change with time; the lock's list is copied
  // only when one of them did (a step on a lock of a thousand codes costs what one of ten does).
  const timed = codes.filter((c) => c.window !== null || c.pending_since !== null);
  if (timed.length === 0) return { codes, changed: false };
  const now = ctx.now();
  const policy = ctx.windowPolicy();
  // Which of them a slot holds, or may hold (a write out): they are on the lock for the window's sake.
  const timedIds = new Set(timed.map((c) => c.access_code_id));
  const onLock = new Set<string>();
  for (const s of slots) {
    if (s.state === 'occupied' && s.owner && timedIds.has(s.owner)) onLock.add(s.owner);
    if (s.pending && timedIds.has(s.pending.owner)) onLock.add(s.pending.owner);
  }
  /** Codes that moved, by id: their new state, or null when deleted. */
  const moved = new Map<string, ManagedCode | null>();
  for (const stored of timed) {
    const native = stored.is_scheduled_on_device;
    const window = windowStep(stored, now, policy, native, onLock.has(stored.access_code_id));
    if (window.kind === 'delete') {
      ctx.changes.accessCode({ code: stored, events: window.events, gone: true });
      moved.set(stored.access_code_id, null);
      continue;
    }
    const next = window.kind === 'save' ? window.code : stored;
    const delay = checkDelay(next, now, ctx.timing);
    if (next !== stored || delay.events.length > 0) {
      ctx.changes.accessCode(delay);
      moved.set(stored.access_code_id, delay.code);
    }
  }
  if (moved.size === 0) return { codes, changed: false };
  const current: ManagedCode[] = [];
  for (const code of codes) {
    const after = moved.get(code.access_code_id);
    if (after === undefined) current.push(code);
    else if (after !== null) current.push(after);
  }
  return { codes: current, changed: true };
}

/** A code whose slot the lock has confirmed is set (e.g. a write that landed before a crash). */
export function settleConfirmed(
  ctx: ReconcileContext,
  codes: readonly ManagedCode[],
  desired: readonly DesiredCode[],
  observed: readonly ObservedSlot[],
): void {
  const unsettled = new Map<string, ManagedCode>();
  for (const code of codes) {
    const settled = code.status === 'set' || (code.status === 'unset' && code.pending_since === null);
    if (!settled) unsettled.set(code.access_code_id, code);
  }
  if (unsettled.size === 0) return;
  const wanted = new Map<string, DesiredCode>();
  for (const d of desired) if (unsettled.has(d.access_code_id)) wanted.set(d.access_code_id, d);
  for (const slot of observed) {
    const want = slot.owner === null ? undefined : wanted.get(slot.owner);
    if (!want || slot.pending !== null || slot.state !== 'occupied') continue;
    if (slot.code === want.code && sameSchedule(slot.schedule, want.schedule)) {
      ctx.changes.accessCode(confirmOnLock(unsettled.get(want.access_code_id)!, ctx.now()));
      wanted.delete(want.access_code_id);
    }
  }
}

/** Codes the diff found no free slot for: failed, and suspended until a slot is freed. */
export function reportNoSpace(
  ctx: ReconcileContext,
  codes: readonly ManagedCode[],
  unplaced: readonly string[],
): void {
  if (unplaced.length === 0) return;
  const byId = new Map(codes.map((c) => [c.access_code_id, c]));
  for (const id of unplaced) {
    const code = byId.get(id);
    if (!code || code.suspended) continue;
    const message = 'The lock has no free slot for this code.';
    ctx.changes.accessCode(refuseSet(code, 'no_space_for_access_code_on_device', message, ctx.now()));
  }
}
