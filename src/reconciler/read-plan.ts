// Which of a lock's slots must be read before the bridge trusts what it knows of them. The policy
// (drivers/driver.ts ReadPolicy) decides what an occasion costs: a cheap lock is read in full
// whenever it comes back; a radio lock is read in full once (first adoption, factory reset), in
// chunks, and otherwise only where the bridge's knowledge may be stale.

export type ReadOccasion =
  /** The lock answers (first time since the bridge started, or again after going quiet). */
  | 'connected'
  /** The lock restarted or rejoined; its slots are as they were. */
  | 'rebooted'
  /** The lock was reset: every slot is empty. */
  | 'factory_reset';

export type ReadStep =
  | { kind: 'range'; first: number; count: number; reset: boolean; last: boolean }
  | { kind: 'slots'; slots: number[] };

export class ReadPlan {
  /** The next slot of a full read under way, or null. */
  private fullFrom: number | null = null;
  private reset = false;
  private readonly slots = new Set<number>();

  get pending(): boolean {
    return this.fullFrom !== null || this.slots.size > 0;
  }

  /** A full read is under way (long on a radio lock: commands take turns with it). */
  get long(): boolean {
    return this.fullFrom !== null;
  }

  /** Every slot, from `from` on (a full read resumed after a restart starts where it stopped). */
  full(reset: boolean, from = 1): void {
    this.fullFrom = Math.min(this.fullFrom ?? from, from);
    this.reset ||= reset;
    this.slots.clear();
  }

  /** These slots (a full read under way covers them: it still reads them). */
  some(slots: Iterable<number>): void {
    for (const slot of slots) this.slots.add(slot);
  }

  /** What to read in this step: `chunk` slots at most. */
  next(chunk: number, slotCount: number): ReadStep | null {
    if (this.fullFrom !== null) {
      const first = this.fullFrom;
      const count = Math.max(1, Math.min(chunk, slotCount - first + 1));
      return { kind: 'range', first, count, reset: this.reset, last: first + count > slotCount };
    }
    if (this.slots.size === 0) return null;
    return { kind: 'slots', slots: [...this.slots].sort((a, b) => a - b).slice(0, Math.max(1, chunk)) };
  }

  /** A step's read succeeded. */
  done(step: ReadStep): void {
    if (step.kind === 'slots') {
      for (const slot of step.slots) this.slots.delete(slot);
      return;
    }
    for (let slot = step.first; slot < step.first + step.count; slot++) this.slots.delete(slot);
    if (step.last) {
      this.fullFrom = null;
      this.reset = false;
    } else {
      this.fullFrom = step.first + step.count;
    }
  }

  /** Nothing to read (the lock's knowledge is being rebuilt from elsewhere). */
  clear(): void {
    this.fullFrom = null;
    this.reset = false;
    this.slots.clear();
  }
}
