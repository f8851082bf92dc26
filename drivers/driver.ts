// The one narrow interface every lock driver implements (simulated, serial/lockwire, zigbee).
// A driver reaches locks; each lock it reaches is a LockHandle. The reconciler only ever talks
// to LockHandles, one command in flight per lock.
import type { EventEmitter } from 'node:events';
import type { TimeWindow } from '../src/core/access-code.ts';

export type DriverKind = 'simulated' | 'serial' | 'zigbee';

export interface LockCapabilities {
  slot_count: number;
  min_code_length: number;
  max_code_length: number;
  /** Slot readings carry the PIN. */
  can_read_codes: boolean;
  /** The lock enforces a slot's starts_at/ends_at itself. */
  supports_native_scheduling: boolean;
  manufacturer: string | null;
  model: string | null;
  serial_number: string | null;
  firmware: string | null;
}

/** A slot as the lock reports it. */
export interface SlotReading {
  slot: number;
  state: 'empty' | 'enabled' | 'disabled';
  /** null when the lock can't read codes back. */
  code: string | null;
  /** Where the slot's content came from, when the lock knows. */
  origin: 'host' | 'keypad' | 'unknown';
  schedule: TimeWindow | null;
}

export type LockState = 'unknown' | 'locked' | 'unlocked' | 'jammed';
export type DoorState = 'unknown' | 'closed' | 'open';
export type LockActionSource = 'keypad' | 'manual' | 'host' | 'automatic' | 'unknown';

/** What a driver reports about one lock, unprompted. */
export interface LockEvents {
  /** The lock answers; capabilities are known. */
  online: [LockCapabilities];
  offline: [reason: string];
  /** A slot was changed at the lock itself (keypad programming); the reading when the driver has one. */
  slot_changed: [slot: number, reading: SlotReading | null];
  /** A code was entered at the keypad. */
  code_used: [slot: number, result: 'unlocked' | 'rejected_schedule' | 'rejected_disabled'];
  wrong_code: [attempts: number];
  lock_state: [state: LockState, source: LockActionSource, slot: number | null];
  door_state: [state: DoorState];
  /** 0..1 */
  battery: [level: number];
  /** The lock restarted; with factory_reset every slot is now empty. */
  rebooted: [factory_reset: boolean];
}

export type DriverErrorKind =
  | 'duplicate_code' // permanent: the PIN is already in another slot (other_slot)
  | 'no_space' // permanent: no slot for the code
  | 'bad_code' // permanent: length or characters
  | 'bad_slot' // permanent
  | 'unsupported' // permanent: e.g. a schedule on a lock without native schedules
  | 'busy' // transient: try again later
  | 'timeout' // transient: no answer
  | 'offline' // transient: the lock is unreachable
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
 * One lock as a driver reaches it. Every command resolves only once the lock confirmed it,
 * and rejects with a DriverError otherwise. Never log a PIN.
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

  readSlots(): Promise<SlotReading[]>;
  writeSlot(slot: number, code: string, schedule: TimeWindow | null): Promise<void>;
  clearSlot(slot: number): Promise<void>;
  lock(): Promise<void>;
  unlock(): Promise<void>;
}

/** A driver: starts, announces the locks it reaches, stops. */
export interface LockDriver {
  readonly kind: DriverKind;
  /** Resolves once the driver runs; locks may come later (a missing port, a joining device). */
  start(onLock: (lock: LockHandle) => void): Promise<void>;
  stop(): Promise<void>;
}
