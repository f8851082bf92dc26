// The one narrow interface every lock driver implements (simulated, serial, zigbee). A driver
// reaches locks; each lock it reaches is a LockHandle. The reconciler only ever talks to
// LockHandles, one command in flight per lock. What the reconciler relies on is pinned by the
// contract suite in test/drivers/contract/, which every driver passes.
import type { EventEmitter } from 'node:events';
import type { TimeWindow } from '../src/core/access-code.ts';
import type {
  CodeAttemptResult,
  DoorState,
  DriverKind,
  LockActionSource,
  LockCapabilities,
  LockState,
} from '../src/core/device.ts';
import type { SlotRange, SlotReading } from '../src/core/slot.ts';

// A driver deals in the core's types: it maps what its locks say to them.
export type * from '../src/core/device.ts';
export type { SlotRange, SlotReading } from '../src/core/slot.ts';

/** What a driver reports about one lock, unprompted. */
export interface LockEvents {
  /** The lock answers; capabilities are known. */
  online: [LockCapabilities];
  offline: [reason: string];
  /** A slot was changed at the lock itself (keypad programming); the reading when the driver has one. */
  slot_changed: [slot: number, reading: SlotReading | null];
  /** A code was entered at the keypad. */
  code_used: [slot: number, result: CodeAttemptResult];
  /** A PIN the lock does not hold was entered, `attempts` times in a row. */
  wrong_code: [attempts: number];
  lock_state: [state: LockState, source: LockActionSource, slot: number | null];
  door_state: [state: DoorState];
  /** 0..1 */
  battery: [level: number];
  /** The lock restarted; with factory_reset every slot is now empty. */
  rebooted: [factory_reset: boolean];
  /** The lock joined its network (first time, or again after leaving) and was interviewed (Zigbee). */
  added: [];
  /** The lock left its network or was removed from it: offline until it joins again; its codes stay. */
  removed: [reason: string];
}

export type DriverErrorKind =
  | 'duplicate_code' // permanent: the PIN is already in another slot (other_slot)
  | 'no_space' // permanent: no slot for the code
  | 'bad_code' // permanent: length or characters
  | 'bad_slot' // permanent
  | 'unsupported' // permanent: e.g. a schedule on a lock without native schedules
  | 'busy' // transient: try again later
  | 'timeout' // transient: no answer, and the command changed nothing (a read, or it never left)
  | 'outcome_unknown' // transient: a write, clear or door action left and no answer came; it may have happened
  | 'offline' // transient: the lock is unreachable; nothing was sent
  | 'storage_error'; // transient: the lock failed to store

export const PERMANENT_DRIVER_ERRORS: ReadonlySet<DriverErrorKind> = new Set([
  'duplicate_code',
  'no_space',
  'bad_code',
  'bad_slot',
  'unsupported',
]);

export class DriverError extends Error {
  readonly kind: DriverErrorKind;
  /** For duplicate_code: the slot that already holds the PIN, when the lock says. */
  readonly other_slot: number | null;

  constructor(kind: DriverErrorKind, message: string, other_slot: number | null = null) {
    super(message);
    this.name = 'DriverError';
    this.kind = kind;
    this.other_slot = other_slot;
  }

  get permanent(): boolean {
    return PERMANENT_DRIVER_ERRORS.has(this.kind);
  }
}

/**
 * How the bridge should read a lock's slots.
 * - `full`: reading is cheap, or the lock can't tell what changed while nobody listened: every slot
 *   is read when it connects, reconnects or reboots (lockwire: 16 slots a request).
 * - `targeted`: every slot costs a radio round trip (a Zigbee lock: 250 of them). The full read
 *   happens once, at first adoption and after a factory reset, `chunk` slots a step so commands go
 *   on meanwhile; after that only the slots the bridge knows of are read (at start, after a reboot
 *   or rejoin), a lock that just went quiet and came back is not read at all, and keypad changes
 *   come as slot_changed.
 */
export interface ReadPolicy {
  mode: 'full' | 'targeted';
  /** Slots read in one step of a long read. */
  chunk: number;
}

/**
 * One lock as a driver reaches it. Every command resolves only once the lock confirmed it, and
 * rejects with a DriverError otherwise (never another error). Never log a PIN.
 */
export interface LockHandle extends EventEmitter<LockEvents> {
  readonly driver: DriverKind;
  /** Stable identity across restarts and ports: serial number, IEEE address, configured name. */
  readonly identity: string;
  /** A human name (from the configuration, when it gives one). */
  readonly name: string;
  /** Known once the lock has been online; null before. */
  readonly capabilities: LockCapabilities | null;
  readonly online: boolean;
  readonly readPolicy: ReadPolicy;

  /** Slots `range` (every slot by default), in slot order, empty ones included. */
  readSlots(range?: SlotRange): Promise<SlotReading[]>;
  readSlot(slot: number): Promise<SlotReading>;
  writeSlot(slot: number, code: string, schedule: TimeWindow | null): Promise<void>;
  clearSlot(slot: number): Promise<void>;
  lock(): Promise<void>;
  unlock(): Promise<void>;
  /**
   * The window as this lock will keep it (lockwire: whole seconds, start down and end up), so that
   * what the bridge writes and what it reads back compare equal. Identity where the lock keeps
   * milliseconds, or keeps no schedules.
   */
  normalizeSchedule(schedule: TimeWindow): TimeWindow;
}

/**
 * The network a driver's locks join and leave (Zigbee), as the API needs it: locks are named by
 * their identity here.
 */
export interface LockNetwork {
  /** The network's coordinator runs now (permit join and removal can be asked). */
  readonly available: boolean;
  /** Opens joining for `seconds` (0 closes it), everywhere or through the router `through`. */
  permitJoin(seconds: number, through: string | null): Promise<void>;
  /**
   * Asks the lock to leave and forgets it; resolves once it confirmed. `force`: forgets it even
   * if it does not answer (a lock that is gone for good).
   */
  remove(identity: string, force: boolean): Promise<void>;
}

/** A driver: starts, announces the locks it reaches, stops. */
export interface LockDriver {
  readonly kind: DriverKind;
  /** Present for a driver whose locks are on a network they join (Zigbee). */
  readonly network?: LockNetwork;
  /** Resolves once the driver runs; locks may come later (a missing port, a joining device). */
  start(onLock: (lock: LockHandle) => void): Promise<void>;
  stop(): Promise<void>;
}
