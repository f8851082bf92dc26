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

/**
 * The Zigbee network as the API reaches it (the Zigbee driver carries it out): joining and removal.
 * Devices are named by device_id.
 */
export interface NetworkControl {
  /** The coordinator runs now. */
  readonly available: boolean;
  /** Opens joining for `seconds` (0 closes it), everywhere or through the router `throughDeviceId`. */
  permitJoin(seconds: number, throughDeviceId: string | null): Promise<void>;
  /** Resolves once the lock confirmed it left (or, with `force`, once it is forgotten regardless). */
  removeDevice(deviceId: string, force: boolean): Promise<void>;
}

export interface ApiContext {
  store: Store;
  changes: Changes;
  locks: LockControl;
  /** null when no Zigbee network is configured. */
  network: NetworkControl | null;
  log: Logger;
  now: () => number;
  windowPolicy: () => WindowPolicy;
  randomInt: (maxExclusive: number) => number;
}
