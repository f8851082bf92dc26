// What the routes need: the store to read, the write path, the locks' door actions, the clock.
import type { Logger } from 'pino';
import type { Changes } from '../changes/changes.ts';
import type { WindowPolicy } from '../core/time-window.ts';
import type { Store } from '../store/store.ts';

/** The locks as the API reaches them (the reconciler carries the actions out). */
export interface LockControl {
  /** Whether the lock answers now. */
  isOnline(deviceId: string): boolean;
  /** Locks or unlocks between the lock's slot commands; resolves once the lock answered. */
  actuate(deviceId: string, action: 'lock' | 'unlock'): Promise<ActuationOutcome>;
}

/** reason: why the lock did not carry the action out (offline, outcome_unknown, busy ...). */
export type ActuationOutcome = { ok: true } | { ok: false; reason: string };

export interface ApiContext {
  store: Store;
  changes: Changes;
  locks: LockControl;
  log: Logger;
  now: () => number;
  windowPolicy: () => WindowPolicy;
  randomInt: (maxExclusive: number) => number;
}
