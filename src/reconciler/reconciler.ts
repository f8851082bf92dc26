// The reconciler: one worker per lock, locks in parallel up to a limit.
import type { ReconcileContext } from './context.ts';
import { LockWorker } from './lock-worker.ts';
import { Semaphore } from './semaphore.ts';

export class Reconciler {
  private readonly workers = new Map<string, LockWorker>();
  private readonly semaphore: Semaphore;

  constructor(
    private readonly ctx: ReconcileContext,
    maxParallelLocks: number,
  ) {
    this.semaphore = new Semaphore(maxParallelLocks);
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
    this.worker(deviceId).wake();
  }

  /** Every lock with codes in the store (at start, and when the clock becomes trusted or steps). */
  wakeAll(): void {
    for (const deviceId of this.ctx.store.codes.deviceIds()) this.wake(deviceId);
    for (const worker of this.workers.values()) worker.wake();
  }

  async stop(): Promise<void> {
    for (const worker of this.workers.values()) worker.stop();
    await Promise.all([...this.workers.values()].map((w) => w.idle()));
  }
}
