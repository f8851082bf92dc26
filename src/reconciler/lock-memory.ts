// What the reconciler keeps in memory about one lock between steps: the handle that reaches it,
// which slots must be read, which commands wait for a retry, which slots it has read or written
// since the bridge started, and the door actions waiting for their turn. A restart forgets it all
// on purpose: the lock is read again, and every retry is due at once.
import type { LockHandle } from '../../drivers/driver.ts';
import type { BackoffPolicy } from '../core/backoff.ts';
import type { SlotOperation } from '../core/slot.ts';
import { ReadPlan } from './read-plan.ts';
import { RetryBook } from './retry-book.ts';
import { SlotSet } from './slot-set.ts';

export type DoorAction = 'lock' | 'unlock';

export interface QueuedAction {
  action: DoorAction;
  settle: (error: unknown) => void;
}

export class LockMemory {
  handle: LockHandle | null = null;
  readonly reads = new ReadPlan();
  readonly retries: RetryBook;
  /** Slots read or written since the bridge started: what it knows first-hand. */
  readonly verified = new SlotSet();
  readonly actions: QueuedAction[] = [];
  /** The lock has answered since the bridge started. */
  connectedBefore = false;
  /** Reading the slots keeps failing (logged once until a read succeeds). */
  readFailing = false;
  /** The last step read slots: during a long read, the next one may send a command. */
  lastStepRead = false;
  /**
   * The operations of the last diff still to do; null when something other than the reconciler's
   * own writes changed the lock's codes or slots since (the next step diffs again).
   */
  plan: SlotOperation[] | null = null;
  /**
   * With no plan: the access codes (managed or unmanaged) changed since the lock was last in step
   * (its plan done), so the next diff looks at those alone; null: the next diff looks at everything.
   */
  touched: Set<string> | null = null;

  /** Everything is to be diffed again. */
  replan(): void {
    this.plan = null;
    this.touched = null;
  }

  /** Someone changed this access code: a lock in step diffs it alone; otherwise everything again. */
  touch(accessCodeId: string): void {
    if (this.plan !== null && this.plan.length === 0) {
      this.plan = null;
      this.touched = new Set([accessCodeId]);
    } else if (this.plan === null && this.touched !== null) {
      this.touched.add(accessCodeId);
    } else {
      this.replan();
    }
  }

  constructor(
    readonly deviceId: string,
    backoff: BackoffPolicy,
  ) {
    this.retries = new RetryBook(backoff);
  }
}
