// The faults a test has queued for a simulated lock's next commands. Each fault is taken when a
// command is issued (not when it completes), so overlapping commands meet them in issue order.
import type { DriverErrorKind } from '../driver.ts';

export type CommandKind = 'read' | 'write' | 'clear' | 'lock' | 'unlock';

/** What one command meets: its delay, a refusal, or a reply that never arrives. */
export interface CommandFaults {
  /** Overrides the lock's latency for this command. */
  delay_ms: number | null;
  /** The lock refuses without touching its slots. */
  refusal: DriverErrorKind | null;
  /** The lock acts but its answer is lost. */
  reply_lost: boolean;
}

const changesSlots = (kind: CommandKind): boolean => kind === 'write' || kind === 'clear';

export class FaultPlan {
  private readonly refusals: DriverErrorKind[] = [];
  private readonly delays: number[] = [];
  private lostReplies = 0;

  refuse(kind: DriverErrorKind, count: number): void {
    for (let i = 0; i < checkCount(count); i++) this.refusals.push(kind);
  }

  slow(ms: number, count: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a delay must be a non-negative number of ms');
    for (let i = 0; i < checkCount(count); i++) this.delays.push(ms);
  }

  loseReplies(count: number): void {
    this.lostReplies += checkCount(count);
  }

  /** Takes the faults meant for the next command of this kind. */
  take(kind: CommandKind): CommandFaults {
    const delay_ms = this.delays.shift() ?? null;
    if (!changesSlots(kind)) return { delay_ms, refusal: null, reply_lost: false };
    // A refused command never acted, so it cannot also lose the reply of an action.
    const refusal = this.refusals.shift() ?? null;
    const reply_lost = refusal === null && this.lostReplies > 0;
    if (reply_lost) this.lostReplies--;
    return { delay_ms, refusal, reply_lost };
  }
}

function checkCount(count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError('a fault count must be a positive integer');
  return count;
}
