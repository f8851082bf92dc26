// One lock's reconcile loop, level-triggered like a Kubernetes controller: each step reloads the
// lock's desired codes and observed slots, diffs them and sends at most one command. Whatever
// happened meanwhile (several updates, a delete, a reboot) is folded into the next diff.
import type { LockHandle } from '../../drivers/driver.ts';
import type { ManagedCode } from '../core/access-code.ts';
import { desiredCodes } from '../core/desired.ts';
import { diffLock } from '../core/diff.ts';
import { nextDelayCheck } from '../core/lifecycle.ts';
import type { ObservedSlot, SlotOperation } from '../core/slot.ts';
import { RetryBook } from './backoff.ts';
import { refreshStatuses, reportNoSpace, settleConfirmed } from './code-status.ts';
import type { ReconcileContext } from './context.ts';
import { recordFullReading } from './observations.ts';
import type { Semaphore } from './semaphore.ts';
import { runSlotOperation } from './slot-commands.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;

type ReadNeed = 'none' | 'full' | 'reset';

export class LockWorker {
  private lock: LockHandle | null = null;
  private readNeed: ReadNeed = 'none';
  private dirty = false;
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly retries: RetryBook;
  private readonly actions: Array<(lock: LockHandle) => Promise<void>> = [];

  constructor(
    private readonly ctx: ReconcileContext,
    readonly deviceId: string,
    private readonly semaphore: Semaphore,
  ) {
    this.retries = new RetryBook(ctx.backoff, ctx.random);
  }

  attach(lock: LockHandle): void {
    this.lock = lock;
  }

  /** The lock (re)connected or rebooted: read its slots before acting, and retry at once. */
  requestRead(reset: boolean): void {
    this.readNeed = reset ? 'reset' : this.readNeed === 'reset' ? 'reset' : 'full';
    this.retries.clear();
    this.wake();
  }

  wake(): void {
    this.dirty = true;
    if (!this.running && !this.stopped) void this.drain();
  }

  /** Runs a lock/unlock between slot commands: one command in flight per lock. */
  runAction(action: (lock: LockHandle) => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.actions.push((lock) => action(lock).then(resolve, reject));
      this.wake();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Resolves once no step is running (for an orderly shutdown). */
  async idle(): Promise<void> {
    while (this.running) await new Promise((r) => setTimeout(r, 5));
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        const release = await this.semaphore.acquire();
        try {
          if (await this.step()) this.dirty = true;
        } catch (error) {
          this.ctx.log.error({ err: error, device_id: this.deviceId }, 'reconcile step failed');
        } finally {
          release();
        }
      }
    } finally {
      this.running = false;
    }
    this.scheduleWake();
  }

  /** At most one command. True when it did something and the loop should go on. */
  private async step(): Promise<boolean> {
    // One read of the lock's codes and slots per step: a step that reads the lock or acts returns
    // before the diff, so the diff works from what was read here.
    const observed = this.ctx.store.slots.forDevice(this.deviceId);
    const codes = refreshStatuses(this.ctx, this.deviceId, observed);
    const lock = this.lock;
    const caps = lock?.capabilities;
    if (!lock?.online || !caps) return false;

    const action = this.actions.shift();
    if (action) {
      await action(lock).catch(() => undefined);
      return true;
    }
    // A deleted or expired code must stop opening the door before anything else happens.
    if (
      this.readNeed !== 'none' &&
      (await this.runUrgentClear(lock, codes, observed, caps.slot_count, caps.supports_native_scheduling))
    ) {
      return true;
    }
    if (this.readNeed !== 'none') {
      const reset = this.readNeed === 'reset';
      const readings = await lock.readSlots().catch((error: unknown) => {
        this.ctx.log.warn(
          { err: error, device_id: this.deviceId },
          'reading the slots failed; retrying later',
        );
        return null;
      });
      if (readings === null) {
        this.retries.failed('read', this.ctx.now());
        return false;
      }
      this.readNeed = 'none';
      recordFullReading(this.ctx, this.deviceId, caps.slot_count, readings, reset);
      return true;
    }

    const now = this.ctx.now();
    const desired = desiredCodes(codes, now, this.ctx.windowPolicy(), caps.supports_native_scheduling);
    settleConfirmed(this.ctx, codes, desired, observed);

    const clearUnmanaged = new Set(
      this.ctx.store.unmanaged
        .forDevice(this.deviceId)
        .filter((u) => u.delete_attempt_id !== null)
        .map((u) => u.access_code_id),
    );
    const { operations, unplaced } = diffLock({
      slotCount: caps.slot_count,
      desired,
      observed,
      clearUnmanaged,
    });
    reportNoSpace(this.ctx, codes, unplaced);
    const suspended = new Set(codes.filter((c) => c.suspended).map((c) => c.access_code_id));
    const op = operations.find(
      (o) => !(o.kind === 'write' && suspended.has(o.access_code_id)) && this.retries.due(retryKey(o), now),
    );
    if (!op) return false;

    await this.run(lock, op);
    return true;
  }

  private async run(lock: LockHandle, op: SlotOperation): Promise<void> {
    const outcome = await runSlotOperation(this.ctx, this.deviceId, lock, op);
    if (outcome.ok) {
      this.retries.succeeded(retryKey(op));
    } else if (!outcome.error.permanent || op.kind === 'clear') {
      const delay = this.retries.failed(retryKey(op), this.ctx.now());
      this.ctx.log.warn(
        {
          device_id: this.deviceId,
          slot: op.slot,
          operation: op.kind,
          reason: outcome.error.kind,
          retry_in_ms: delay,
        },
        'lock did not confirm; will retry',
      );
    } else {
      this.ctx.log.warn(
        { device_id: this.deviceId, slot: op.slot, reason: outcome.error.kind },
        'lock refused the code',
      );
    }
  }

  /** Before the slots are read again: clear a slot whose managed code must be off the lock. */
  private async runUrgentClear(
    lock: LockHandle,
    codes: readonly ManagedCode[],
    observed: readonly ObservedSlot[],
    slotCount: number,
    native: boolean,
  ): Promise<boolean> {
    const now = this.ctx.now();
    const desired = desiredCodes(codes, now, this.ctx.windowPolicy(), native);
    const op = diffLock({ slotCount, desired, observed }).operations.find(
      (o) => o.kind === 'clear' && o.access_code_id !== null && this.retries.due(retryKey(o), now),
    );
    if (!op) return false;
    await this.run(lock, op);
    return true;
  }

  private scheduleWake(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const now = this.ctx.now();
    let next = this.retries.nextDue(now);
    for (const code of this.ctx.store.codes.forDevice(this.deviceId)) {
      const at = nextDelayCheck(code, this.ctx.timing);
      if (at !== null && (next === null || at < next)) next = at;
    }
    if (next === null) return;
    const delay = Math.min(Math.max(0, next - now), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref?.();
  }
}

const retryKey = (op: SlotOperation): string =>
  op.kind === 'write' ? `code:${op.access_code_id}` : `slot:${op.slot}`;
