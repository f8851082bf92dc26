// What the reconciler's parts share: the store to read, the write path, the clock, the policies,
// the log.
import type { Logger } from 'pino';
import type { Changes } from '../changes/changes.ts';
import type { BackoffPolicy } from '../core/backoff.ts';
import type { TimingPolicy } from '../core/lifecycle.ts';
import type { WindowPolicy } from '../core/time-window.ts';
import type { Store } from '../store/store.ts';

export interface ReconcileContext {
  store: Store;
  /** The quiet write path (Changes.quiet()): the reconciler's own writes don't wake its locks. */
  changes: Changes;
  log: Logger;
  now: () => number;
  timing: TimingPolicy;
  backoff: BackoffPolicy;
  /** Read on every use: whether the clock is trusted can change while the bridge runs. */
  windowPolicy: () => WindowPolicy;
}
