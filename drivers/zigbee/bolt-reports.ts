// One bolt movement, one report. A lock tells of a movement twice: an operation event (who moved it:
// keypad, manual, RF, auto) and a lockState attribute report (only the new state), in either order.
// The operation event's report wins; a lockState report that says nothing new is dropped, and one
// that does waits `settle_ms` for its operation event before it is reported on its own ('unknown'
// source). What the bridge itself asked for is reported at once, as 'host'.
import type { LockActionSource, LockState } from '../driver.ts';

export type ReportBolt = (state: LockState, source: LockActionSource, slot: number | null) => void;

export class BoltReports {
  /** The state last reported. */
  private known: LockState | null = null;
  private pending: { state: LockState; timer: NodeJS.Timeout } | null = null;

  constructor(
    private readonly report: ReportBolt,
    private readonly settleMs: number,
  ) {}

  /** The lock confirmed a lock or unlock the bridge sent. */
  host(state: LockState): void {
    this.cancelPending();
    this.known = state;
    this.report(state, 'host', null);
  }

  /** An operation event; `reported` false when another event (code_used) already tells of it. */
  operation(state: LockState, source: LockActionSource, slot: number | null, reported = true): void {
    this.cancelPending();
    // The lock echoes the bridge's own command as an RF operation: already reported.
    const echo = source === 'host' && state === this.known;
    this.known = state;
    if (reported && !echo) this.report(state, source, slot);
  }

  /** A lockState attribute report or read. */
  attribute(state: LockState): void {
    if (state === this.known || state === this.pending?.state) return;
    this.cancelPending();
    const timer = setTimeout(() => {
      this.pending = null;
      this.known = state;
      this.report(state, 'unknown', null);
    }, this.settleMs);
    timer.unref();
    this.pending = { state, timer };
  }

  stop(): void {
    this.cancelPending();
  }

  private cancelPending(): void {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = null;
  }
}
