// The reconciler: a generic per-lock queue (lock-queue.ts) running reconcileLock for each lock,
// locks in parallel up to a limit; one timer for every time-bound code's window boundaries (the
// next one, derived from the store, so it survives restarts). It hears of locks from the device
// layer (LockObserver) and carries out door actions between slot commands (LockControl).
import { DriverError, type LockHandle } from '../../drivers/driver.ts';
import { DeadlineTimer } from '../clock/deadline-timer.ts';
import { resume } from '../core/lifecycle.ts';
import type { SlotReading } from '../core/slot.ts';
import { isStorageError } from '../store/storage-health.ts';
import type { ReconcileContext } from './context.ts';
import { type DoorAction, LockMemory } from './lock-memory.ts';
import { LockQueue, type QueueHealth } from './lock-queue.ts';
import { recordSlotReading } from './observations.ts';
import type { ReadOccasion } from './read-plan.ts';
import { reconcileLock } from './reconcile-lock.ts';

export class Reconciler {
  private readonly locks = new Map<string, LockMemory>();
  private readonly queue: LockQueue;
  private readonly windows: DeadlineTimer;
  private windowsCheckedAt: number;
  private armScheduled = false;
  private stopped = false;

  constructor(
    private readonly ctx: ReconcileContext,
    maxParallelLocks: number,
  ) {
    this.queue = new LockQueue(
      async (deviceId) => {
        const result = await reconcileLock(ctx, this.memory(deviceId));
        return { again: result.did !== 'nothing' && !result.settled, lookAt: result.lookAt };
      },
      {
        concurrency: maxParallelLocks,
        backoff: ctx.backoff,
        now: ctx.now,
        log: ctx.log,
        // The store's health says once that it can't write; each lock need not say it too.
        expected: isStorageError,
      },
    );
    this.windows = new DeadlineTimer((now) => {
      try {
        this.windowsDue(now);
      } catch (error) {
        ctx.log.error({ err: error }, 'window deadline check failed; the minute sweep will retry');
      }
    }, ctx.now);
    this.windowsCheckedAt = ctx.now();
    ctx.changes.onWake((deviceId) => this.wake(deviceId));
    ctx.changes.onTouch((deviceId, accessCodeId) => {
      if (accessCodeId !== null) this.locks.get(deviceId)?.touch(accessCodeId);
    });
  }

  // --- What the device layer tells (LockObserver). ---

  attached(deviceId: string, handle: LockHandle): void {
    this.memory(deviceId).handle = handle;
  }

  connected(deviceId: string): void {
    this.lockCameBack(deviceId, 'connected');
  }

  rebooted(deviceId: string, factoryReset: boolean): void {
    this.lockCameBack(deviceId, factoryReset ? 'factory_reset' : 'rebooted');
  }

  slotChanged(deviceId: string, slot: number, reading: SlotReading | null): void {
    try {
      if (reading) recordSlotReading(this.ctx, deviceId, reading);
      else this.memory(deviceId).reads.some([slot]);
    } catch (error) {
      if (!isStorageError(error)) throw error;
      this.memory(deviceId).reads.some([slot]); // read again once the store can write
    }
    this.replan(deviceId);
    this.wake(deviceId);
  }

  // --- Door actions (LockControl). ---

  isOnline(deviceId: string): boolean {
    return this.locks.get(deviceId)?.handle?.online ?? false;
  }

  /** Locks or unlocks between the lock's slot commands; resolves once the lock answered. */
  actuate(deviceId: string, action: DoorAction): Promise<{ ok: true } | { ok: false; reason: string }> {
    return new Promise((resolve) => {
      this.memory(deviceId).actions.push({
        action,
        settle: (error) =>
          resolve(
            error === null
              ? { ok: true }
              : { ok: false, reason: error instanceof DriverError ? error.kind : 'failed' },
          ),
      });
      this.wake(deviceId);
    });
  }

  // --- Running. ---

  /** Something about this lock's desired or observed state changed: reconcile it. */
  wake(deviceId: string): void {
    if (this.stopped) return;
    this.queue.wake(deviceId);
    this.armWindowsSoon();
  }

  /**
   * Every lock with codes in the store: at start, when the clock becomes trusted or steps, and
   * from the minute sweep (a safety net should a timer ever be missed).
   */
  wakeAll(): void {
    if (this.stopped) return;
    const deviceIds = new Set([...this.ctx.store.codes.deviceIds(), ...this.locks.keys()]);
    for (const deviceId of deviceIds) this.wakeToReplan(deviceId);
    this.windowsCheckedAt = this.ctx.now();
    this.armWindows();
  }

  /**
   * The minute sweep's safety net under the timers: locks with a window boundary since the last
   * look, and locks with a code waiting for them (their delay deadlines), are looked at again.
   */
  sweep(): void {
    if (this.stopped) return;
    this.windowsDue(this.ctx.now());
    for (const deviceId of this.ctx.store.codes.devicesWaiting()) this.wakeToReplan(deviceId);
  }

  /** What the queue is doing (steps running, the oldest one's start, locks failing): read-only. */
  health(): QueueHealth {
    return this.queue.health();
  }

  /**
   * Takes no new step and waits for the steps running (the command in flight) to end, at most
   * `waitMs`: true once none runs, false when one was still running (it is abandoned: its intent
   * was committed before the command left, so the next start verifies the slot).
   */
  async stop(waitMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.stopped = true;
    this.windows.disarm();
    return this.queue.stop(waitMs);
  }

  /** Resolves once no step runs, or false after `waitMs`. */
  idle(waitMs: number): Promise<boolean> {
    return this.queue.idleWithin(waitMs);
  }

  private memory(deviceId: string): LockMemory {
    let memory = this.locks.get(deviceId);
    if (!memory) {
      memory = new LockMemory(deviceId, this.ctx.backoff);
      this.locks.set(deviceId, memory);
    }
    return memory;
  }

  /** What the reconciler planned for the lock is stale: the next step diffs everything again. */
  private replan(deviceId: string): void {
    this.locks.get(deviceId)?.replan();
  }

  /** Time moved a deadline (a window, a delay): what the lock must hold may differ now. */
  private wakeToReplan(deviceId: string): void {
    this.replan(deviceId);
    this.queue.wake(deviceId);
  }

  /** The lock answers again: its slots are read as its read policy says, and every retry is due. */
  private lockCameBack(deviceId: string, occasion: ReadOccasion): void {
    const memory = this.memory(deviceId);
    memory.replan();
    this.planReads(memory, occasion);
    memory.lastStepRead = false;
    memory.connectedBefore = true;
    memory.retries.clear();
    this.resumeSuspended(deviceId, occasion === 'factory_reset');
    this.wake(deviceId);
  }

  private planReads(memory: LockMemory, occasion: ReadOccasion): void {
    const policy = memory.handle?.readPolicy;
    const device = this.ctx.store.devices.get(memory.deviceId);
    if (!policy || !device) return;
    if (occasion === 'factory_reset') {
      memory.reads.full(true);
    } else if (policy.mode === 'full') {
      memory.reads.full(false);
    } else if (device.slots_read_at === null || device.full_read_from !== null) {
      // First adoption, or a full read a restart interrupted: go on from where it stopped.
      memory.reads.full(false, device.full_read_from ?? 1);
    } else if (occasion === 'rebooted' || !memory.connectedBefore) {
      // What the bridge knows may be stale (it was down, or the lock restarted): read those slots only.
      memory.reads.some(this.ctx.store.slots.forDevice(memory.deviceId).map((s) => s.slot));
    }
    // A lock that went quiet and answers again, without a reboot, changed nothing we missed.
  }

  /**
   * Codes that stopped trying because the lock did not answer get another chance; after a factory
   * reset every suspended code does (whatever refused them, the duplicate say, is gone).
   */
  private resumeSuspended(deviceId: string, all: boolean): void {
    this.storing(() => this.resume(deviceId, all));
  }

  /** Writes that may wait for a store that can't write (its health says so once). */
  private storing(write: () => void): void {
    try {
      write();
    } catch (error) {
      if (!isStorageError(error)) throw error;
    }
  }

  private resume(deviceId: string, all: boolean): void {
    const again = this.ctx.store.codes
      .suspendedForDevice(deviceId)
      .filter((code) => all || code.errors.some((e) => e.error_code === 'failed_to_set_on_device'));
    if (again.length === 0) return; // the usual case: no transaction for nothing
    this.ctx.changes.transaction(() => {
      for (const code of again)
        this.ctx.changes.accessCode({ code: resume(code, this.ctx.now()), events: [] });
    });
  }

  /** Once a turn however many locks woke: the next boundary is one query over the store. */
  private armWindowsSoon(): void {
    if (this.armScheduled) return;
    this.armScheduled = true;
    setImmediate(() => {
      this.armScheduled = false;
      this.armWindows();
    });
  }

  /** The one timer is set for the next window boundary of any code (none while the clock is untrusted). */
  private armWindows(): void {
    const policy = this.ctx.windowPolicy();
    if (this.stopped || !policy.clock_trusted) {
      this.windows.disarm();
      return;
    }
    this.windows.arm(this.ctx.store.codes.nextWindowBoundary(this.ctx.now(), policy.lead_ms));
  }

  private windowsDue(now: number): void {
    const lead = this.ctx.windowPolicy().lead_ms;
    const from = Math.min(this.windowsCheckedAt, now);
    this.windowsCheckedAt = now;
    for (const deviceId of this.ctx.store.codes.devicesWithBoundary(from, now, lead))
      this.queue.wake(deviceId);
    this.armWindows();
  }
}
