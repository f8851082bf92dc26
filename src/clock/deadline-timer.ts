// One timer for every deadline the bridge has (a code's starts_at, ends_at, a delay warning):
// the caller works out the earliest from its store and arms this with it; when it fires the
// caller does what is due and arms the next. Nothing lives only in memory, so a restart loses nothing.

/** setTimeout's largest delay (2^31-1 ms, about 24.8 days); Node fires at once beyond it. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class DeadlineTimer {
  private readonly onDue: (now: number) => void;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private deadline: number | null = null;

  /** now is the wall clock deadlines are expressed in (default Date.now, looked up at each call). */
  constructor(onDue: (now: number) => void, now: () => number = () => Date.now()) {
    this.onDue = onDue;
    this.now = now;
  }

  /**
   * Replaces whatever was armed with atMs (ms since the epoch); null disarms. A deadline already
   * past fires on the next turn of the event loop, never synchronously inside arm().
   */
  arm(atMs: number | null): void {
    if (atMs !== null && !Number.isFinite(atMs)) {
      throw new RangeError(`DeadlineTimer.arm: deadline must be a finite number of ms, got ${atMs}`);
    }
    this.disarm();
    if (atMs === null) return;
    this.deadline = atMs;
    this.schedule();
  }

  disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.deadline = null;
  }

  /** The deadline armed now, or null. */
  armedAt(): number | null {
    return this.deadline;
  }

  private schedule(): void {
    const remaining = (this.deadline ?? 0) - this.now();
    // Far deadlines wait in hops; each hop wakes, sees it is early and sleeps again.
    this.timer = setTimeout(() => this.wake(), Math.min(Math.max(remaining, 0), MAX_TIMEOUT_MS));
    // Only the daemon's own handles (broker, serial port) keep the process alive.
    this.timer.unref();
  }

  private wake(): void {
    this.timer = null;
    const now = this.now();
    // Early after a hop, or because the wall clock was stepped back since arming.
    if (this.deadline !== null && now < this.deadline) {
      this.schedule();
      return;
    }
    this.deadline = null;
    this.onDue(now);
  }
}
