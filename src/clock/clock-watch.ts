// Notices when the wall clock jumps (NTP stepping it, an operator's `date -s`, a resume from
// suspend), so every time window can be evaluated again at once instead of at its stale timer.

export interface ClockWatchOptions {
  /** Called with how far the wall clock moved beyond (positive) or against (negative) real time. */
  onStep: (deltaMs: number) => void;
  /** How often to compare the clocks. */
  intervalMs?: number;
  /** A disagreement larger than this is a step; smaller ones are NTP slewing or timer jitter. */
  thresholdMs?: number;
  wallNow?: () => number;
  /** A clock that never jumps: CLOCK_MONOTONIC behind performance.now(). */
  monotonicNow?: () => number;
}

export class ClockWatch {
  private readonly onStep: (deltaMs: number) => void;
  private readonly intervalMs: number;
  private readonly thresholdMs: number;
  private readonly wallNow: () => number;
  private readonly monotonicNow: () => number;
  private timer: NodeJS.Timeout | null = null;
  private lastWall = 0;
  private lastMonotonic = 0;

  constructor(options: ClockWatchOptions) {
    this.onStep = options.onStep;
    this.intervalMs = options.intervalMs ?? 1_000;
    this.thresholdMs = options.thresholdMs ?? 2_000;
    // Looked up at each call, not captured, so test fake timers apply.
    this.wallNow = options.wallNow ?? (() => Date.now());
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    if (!(this.intervalMs > 0) || !(this.thresholdMs > 0)) {
      throw new RangeError('ClockWatch intervalMs and thresholdMs must be positive');
    }
    this.resetBaseline();
  }

  start(): void {
    if (this.timer !== null) return;
    this.resetBaseline();
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  /** Compares the clocks now (the interval calls this; callers may too, e.g. after a long blocking task). */
  check(): void {
    const wall = this.wallNow();
    const monotonic = this.monotonicNow();
    // A blocked event loop delays both clocks alike; only the wall clock can jump.
    const delta = wall - this.lastWall - (monotonic - this.lastMonotonic);
    this.lastWall = wall;
    this.lastMonotonic = monotonic;
    if (Math.abs(delta) > this.thresholdMs) this.onStep(delta);
  }

  private resetBaseline(): void {
    this.lastWall = this.wallNow();
    this.lastMonotonic = this.monotonicNow();
  }
}
