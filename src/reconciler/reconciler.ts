// The reconciler: one worker per lock, locks in parallel up to a limit, and one timer for every
// time-bound code's window boundaries (the next one, derived from the store, so it survives restarts).
import { DeadlineTimer } from '../clock/deadline-timer.ts';
import type { ReconcileContext } from './context.ts';
import { LockWorker } from './lock-worker.ts';
import { Semaphore } from './semaphore.ts';

export class Reconciler {
  private readonly workers = new Map<string, LockWorker>();
  private readonly semaphore: Semaphore;
  private readonly windows: DeadlineTimer;
  private windowsCheckedAt: number;
  private stopped = false;

  constructor(
    private readonly ctx: ReconcileContext,
    maxParallelLocks: number,
  ) {
    this.semaphore = new Semaphore(maxParallelLocks);
    this.windows = new DeadlineTimer((now) => {
      try {
        this.windowsDue(now);
      } catch (error) {
        ctx.log.error({ err: error }, 'window deadline check failed; the minute sweep will retry');
      }
    }, ctx.now);
    this.windowsCheckedAt = ctx.now();
  }

  worker(deviceId: string): LockWorker {
    let worker = this.workers.get(deviceId);
    if (!worker) {
      worker = new LockWorker(this.ctx, deviceId, this.semaphore);
      this.workers.set(deviceId, worker);
    }
    return worker;
  }

  /** Something about this lock's desired or observed state changed: reconcile it. */
  wake(deviceId: string): void {
    if (this.stopped) return;
    this.worker(deviceId).wake();
    this.armWindows();
  }

  /**
   * Every lock with codes in the store: at start, when the clock becomes trusted or steps, and
   * from the minute sweep (a safety net should a timer ever be missed).
   */
  wakeAll(): void {
    if (this.stopped) return;
    const deviceIds = new Set([...this.ctx.store.codes.deviceIds(), ...this.workers.keys()]);
    for (const deviceId of deviceIds) this.worker(deviceId).wake();
    this.windowsCheckedAt = this.ctx.now();
    this.armWindows();
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
      this.worker(deviceId).wake();
    this.armWindows();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.windows.disarm();
    for (const worker of this.workers.values()) worker.stop();
    await Promise.all([...this.workers.values()].map((w) => w.idle()));
  }
}
