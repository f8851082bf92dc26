// What the reconciler keeps in memory about one lock between steps: the handle that reaches it,
// which slots must be read, which commands wait for a retry, which slots it has read or written
// since the bridge started, and the door actions waiting for their turn. A restart forgets it all
// on purpose: the lock is read again, and every retry is due at once.
import type { LockHandle } from '../../drivers/driver.ts';
import type { BackoffPolicy } from '../core/backoff.ts';
import { ReadPlan } from './read-plan.ts';
import { RetryBook } from './retry-book.ts';

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
  readonly verified = new Set<number>();
  readonly actions: QueuedAction[] = [];
  /** The lock has answered since the bridge started. */
  connectedBefore = false;
  /** Reading the slots keeps failing (logged once until a read succeeds). */
  readFailing = false;
  /** The last step read slots: during a long read, the next one may send a command. */
  lastStepRead = false;

  constructor(
    readonly deviceId: string,
    backoff: BackoffPolicy,
  ) {
    this.retries = new RetryBook(backoff);
  }
}
