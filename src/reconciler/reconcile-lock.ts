// One reconcile step for one lock, level-triggered like a Kubernetes controller's Reconcile: it
// reloads the lock's desired codes and observed slots, diffs them, and does at most one thing on
// the lock: a door action, an urgent clear, a read, or one slot command. Whatever happened
// meanwhile (several updates, a delete, a reboot) is folded into the next diff. It says what it
// did and when the lock wants looking at again; the queue (lock-queue.ts) does the rest.
//
// The diff's operations are kept as the lock's plan and worked through one a step, until anything
// but the reconciler's own writes touches the lock's codes or slots (the plan is then dropped and
// the next step diffs again): thirty codes for one lock cost one diff, not thirty.
import { DriverError, type LockCapabilities, type LockHandle } from '../../drivers/driver.ts';
import type { ManagedCode } from '../core/access-code.ts';
import { desiredCodes } from '../core/desired.ts';
import { diffLock } from '../core/diff.ts';
import { nextDelayCheck } from '../core/lifecycle.ts';
import { type DesiredCode, type ObservedSlot, type SlotOperation, slotOwner } from '../core/slot.ts';
import { refreshStatuses, reportNoSpace, settleConfirmed } from './code-status.ts';
import type { ReconcileContext } from './context.ts';
import type { LockMemory } from './lock-memory.ts';
import { recordRangeReading, recordSlotReading } from './observations.ts';
import type { ReadStep } from './read-plan.ts';
import { retryKey, runSlotOperation } from './slot-commands.ts';

export type StepDone = 'nothing' | 'action' | 'read' | 'clear' | 'write';

export interface ReconcileResult {
  did: StepDone;
  /** When the lock wants looking at again though nothing changes (a retry, a delay deadline); null: never. */
  lookAt: number | null;
  /** After a read: the lock is in step, the next step would do nothing (no need to run it). */
  settled?: boolean;
}

const READ_KEY = 'read';

export async function reconcileLock(ctx: ReconcileContext, lock: LockMemory): Promise<ReconcileResult> {
  if (!(lock.handle?.online && lock.handle.capabilities) && !ctx.store.codes.hasTimedWork(lock.deviceId)) {
    // A lock that is away, with no window or delay running for it: nothing to do, nothing to load
    // (at start every lock is away until its driver hears from it).
    failQueuedActions(lock);
    return { did: 'nothing', lookAt: lock.retries.nextDue(ctx.now()) };
  }
  const observed = ctx.store.slots.forDevice(lock.deviceId);
  // Delays and windows run on while the lock is away.
  const { codes, changed } = refreshStatuses(ctx, lock.deviceId, observed);
  if (changed) lock.replan();
  const handle = lock.handle;
  const caps = handle?.online ? handle.capabilities : null;
  if (!handle || !caps) {
    failQueuedActions(lock);
    return { did: 'nothing', lookAt: lookAgain(ctx, lock, codes) };
  }

  const queued = lock.actions.shift();
  if (queued) {
    const outcome = await (queued.action === 'lock' ? handle.lock() : handle.unlock()).then(
      () => null,
      (error: unknown) => error,
    );
    queued.settle(outcome);
    return { did: 'action', lookAt: null };
  }

  const now = ctx.now();
  const suspended = new Set<string>();
  for (const code of codes) if (code.suspended) suspended.add(code.access_code_id);
  const runnable = (op: SlotOperation) =>
    !(op.kind === 'write' && suspended.has(op.access_code_id)) && lock.retries.due(retryKey(op), now);

  if (lock.reads.pending) {
    lock.replan(); // what is read may change everything
    const { operations } = diff({ ctx, lock, handle, caps, codes, observed, suspended }, null);
    // A deleted or expired code must stop opening the door before anything else happens.
    const urgent = operations.find((op) => op.kind === 'clear' && op.access_code_id !== null && runnable(op));
    if (urgent) {
      await runSlotOperation(ctx, lock, handle, urgent);
      return { did: 'clear', lookAt: null };
    }
    // A radio lock's long full read (first adoption, factory reset) takes turns with commands to
    // slots it has read: the lock is usable meanwhile.
    const between =
      lock.lastStepRead && lock.reads.long && handle.readPolicy.mode === 'targeted'
        ? operations.find((op) => runnable(op) && known(lock, observed, op))
        : undefined;
    if (between) {
      lock.lastStepRead = false;
      await runSlotOperation(ctx, lock, handle, between);
      return { did: between.kind, lookAt: null };
    }
    if (!lock.retries.due(READ_KEY, now)) return { did: 'nothing', lookAt: lookAgain(ctx, lock, codes) };
    const step = lock.reads.next(handle.readPolicy.chunk, caps.slot_count);
    if (step) await read(ctx, lock, handle, step);
    lock.lastStepRead = true;
    return afterRead(ctx, lock, handle);
  }

  const op = plan({ ctx, lock, handle, caps, codes, observed, suspended }).find(runnable);
  if (!op) return { did: 'nothing', lookAt: lookAgain(ctx, lock, codes) };
  if (!known(lock, observed, op)) {
    // Never overwrite a slot the bridge has not seen since it started: read it first.
    lock.reads.some([op.slot]);
    lock.replan();
    return { did: 'read', lookAt: null };
  }
  const done = await runSlotOperation(ctx, lock, handle, op);
  if (done) lock.plan = lock.plan?.filter((planned) => planned !== op) ?? null;
  // Refused for good: the code is suspended and its slot stays free for others, so plan again.
  else if (op.kind === 'write' && ctx.store.codes.get(op.access_code_id)?.suspended) lock.replan();
  // Otherwise it stays planned and waits for its retry.
  return { did: op.kind, lookAt: null };
}

/**
 * A read is done: when it was the last one, what the lock holds is planned at once, in the same
 * step, while its codes and slots are at hand. A lock found in step then needs no further step
 * (a thousand locks read at start cost a thousand steps, not two thousand).
 */
function afterRead(ctx: ReconcileContext, lock: LockMemory, handle: LockHandle): ReconcileResult {
  const more: ReconcileResult = { did: 'read', lookAt: null };
  const caps = handle.online ? handle.capabilities : null;
  if (lock.reads.pending || lock.actions.length > 0 || !caps) return more;
  const observed = ctx.store.slots.forDevice(lock.deviceId);
  const { codes, changed } = refreshStatuses(ctx, lock.deviceId, observed);
  if (changed) lock.replan();
  const suspended = new Set<string>();
  for (const code of codes) if (code.suspended) suspended.add(code.access_code_id);
  const now = ctx.now();
  const waiting = plan({ ctx, lock, handle, caps, codes, observed, suspended }).some(
    (op) => !(op.kind === 'write' && suspended.has(op.access_code_id)) && lock.retries.due(retryKey(op), now),
  );
  return waiting ? more : { did: 'read', lookAt: lookAgain(ctx, lock, codes), settled: true };
}

/** What a step knows of its lock when it plans: the lock, its codes and slots as they stand. */
interface LockAtHand {
  ctx: ReconcileContext;
  lock: LockMemory;
  handle: LockHandle;
  caps: LockCapabilities;
  codes: readonly ManagedCode[];
  observed: readonly ObservedSlot[];
  /** The codes that stopped trying. */
  suspended: ReadonlySet<string>;
}

/** The lock's plan: the operations still to do, diffed again when something touched its codes or slots. */
function plan(at: LockAtHand): SlotOperation[] {
  const { ctx, lock, codes, observed } = at;
  if (lock.plan !== null) return lock.plan;
  const touched = lock.touched;
  lock.touched = null;
  const some = touched === null ? null : subset(codes, observed, touched);
  const planned = diff({ ...at, codes: some?.codes ?? codes, observed: some?.observed ?? observed }, touched);
  settleConfirmed(ctx, some?.codes ?? codes, planned.desired, some?.observed ?? observed);
  reportNoSpace(ctx, some?.codes ?? codes, planned.unplaced);
  lock.plan = inOrderAsked(planned.operations, some?.codes ?? codes);
  return lock.plan;
}

/**
 * The plan in the order its work was asked for: the clears first, as the diff puts them (a deleted
 * code stops opening the door before anything else), then the writes by when their code last
 * changed, oldest first. A code changed while its lock works through codes asked for earlier waits
 * its turn behind them, and whatever it is changed to meanwhile goes in that one write: the lock
 * is never sent a PIN that was replaced before its turn came.
 */
function inOrderAsked(operations: SlotOperation[], codes: readonly ManagedCode[]): SlotOperation[] {
  const askedAt = new Map<string, number>();
  for (const code of codes) askedAt.set(code.access_code_id, code.pending_since ?? code.created_at);
  const clears = operations.filter((op) => op.kind === 'clear');
  const writes = operations.filter((op) => op.kind === 'write');
  const at = (op: SlotOperation) => (op.access_code_id === null ? 0 : (askedAt.get(op.access_code_id) ?? 0));
  return [...clears, ...writes.sort((a, b) => at(a) - at(b))];
}

/** The codes touched since the lock was in step, and the slots that hold or are given them. */
function subset(
  codes: readonly ManagedCode[],
  observed: readonly ObservedSlot[],
  touched: ReadonlySet<string>,
) {
  return {
    codes: codes.filter((c) => touched.has(c.access_code_id)),
    observed: observed.filter((s) => {
      const owner = slotOwner(s);
      return (
        (owner !== null && touched.has(owner)) || (s.unmanaged_id !== null && touched.has(s.unmanaged_id))
      );
    }),
  };
}

/**
 * The lock's desired codes (as the lock will keep their schedules) against its observed slots;
 * `touched`: only those codes and their slots are passed, free slots are looked up among all.
 */
function diff(at: LockAtHand, touched: ReadonlySet<string> | null) {
  const { ctx, lock, handle, caps, codes, observed, suspended } = at;
  let desired = desiredCodes(codes, ctx.now(), ctx.windowPolicy(), caps.supports_native_scheduling);
  if (suspended.size > 0) {
    // A suspended code that holds no slot waits for a change; it must not keep a free slot from others.
    const owned = new Set(observed.map(slotOwner));
    desired = desired.filter((d) => !suspended.has(d.access_code_id) || owned.has(d.access_code_id));
  }
  if (desired.some((d) => d.schedule !== null)) desired = desired.map((d) => normalized(d, handle));
  const clearUnmanaged = unmanagedToClear(ctx, lock.deviceId);
  const result = diffLock({
    slotCount: caps.slot_count,
    desired,
    observed,
    clearUnmanaged,
    ...(touched === null ? {} : { allSlots: ctx.store.slots.byNumber(lock.deviceId) }),
  });
  return { desired, ...result };
}

/** The schedule as the lock will keep it, so that what is written and what is read back compare equal. */
const normalized = (want: DesiredCode, handle: LockHandle): DesiredCode =>
  want.schedule === null ? want : { ...want, schedule: handle.normalizeSchedule(want.schedule) };

/** Unmanaged codes that unmanaged/delete asked to take off the lock. */
function unmanagedToClear(ctx: ReconcileContext, deviceId: string): Set<string> {
  const ids = new Set<string>();
  for (const u of ctx.store.unmanaged.forDevice(deviceId))
    if (u.delete_attempt_id !== null) ids.add(u.access_code_id);
  return ids;
}

/** A clear, a write to the code's own slot, or a write to a slot read or written since the bridge started. */
function known(lock: LockMemory, observed: readonly ObservedSlot[], op: SlotOperation): boolean {
  if (op.kind === 'clear' || lock.verified.has(op.slot)) return true;
  return observed.some((s) => s.slot === op.slot && slotOwner(s) === op.access_code_id);
}

async function read(
  ctx: ReconcileContext,
  lock: LockMemory,
  handle: LockHandle,
  step: ReadStep,
): Promise<void> {
  try {
    if (step.kind === 'range') {
      const range = { first: step.first, count: step.count };
      const readings = await handle.readSlots(range);
      recordRangeReading(ctx, lock.deviceId, range, readings, step.reset, step.last);
      for (let slot = step.first; slot < step.first + step.count; slot++) lock.verified.add(slot);
    } else {
      for (const slot of step.slots) {
        recordSlotReading(ctx, lock.deviceId, await handle.readSlot(slot));
        lock.verified.add(slot);
      }
    }
  } catch (error) {
    const delay = lock.retries.failed(READ_KEY, ctx.now());
    const fields = { device_id: lock.deviceId, err: error, retry_in_ms: delay };
    // Once per condition, not once a retry.
    if (!lock.readFailing) ctx.log.warn(fields, 'reading the slots failed; retrying with backoff');
    else ctx.log.debug(fields, 'reading the slots failed again');
    lock.readFailing = true;
    return;
  }
  lock.reads.done(step);
  lock.retries.succeeded(READ_KEY);
  if (lock.readFailing) ctx.log.info({ device_id: lock.deviceId }, 'reading the slots works again');
  lock.readFailing = false;
}

/** A lock that does not answer carries out no door action late: they fail now. */
function failQueuedActions(lock: LockMemory): void {
  for (const queued of lock.actions.splice(0)) {
    queued.settle(new DriverError('offline', 'the lock stopped answering before it carried out the action'));
  }
}

/** The next retry or delay deadline of this lock. */
function lookAgain(ctx: ReconcileContext, lock: LockMemory, codes: readonly ManagedCode[]): number | null {
  let next = lock.retries.nextDue(ctx.now());
  for (const code of codes) {
    const at = nextDelayCheck(code, ctx.timing);
    if (at !== null && (next === null || at < next)) next = at;
  }
  return next;
}
