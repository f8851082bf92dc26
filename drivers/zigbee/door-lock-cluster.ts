// The ZCL Door Lock cluster (0x0101) in the bridge's terms: bridge slots 1..N against the lock's
// user ids, PINs as bytes of ASCII digits, the statuses of setPinCode/clearPinCode, user status and
// type, and what the two notifications (operation and programming events) mean. No I/O here.
import type { DoorState, LockActionSource, LockState, SlotReading } from '../driver.ts';

/** User status (ZCL 7.3.2.17.6). */
export const UserStatus = { available: 0, enabled: 1, disabled: 3 } as const;
/** User type: unrestricted, or allowed only within its year-day schedules. */
export const UserType = { unrestricted: 0, year_day: 1 } as const;

/** setPinCode's response status. */
export const SetPinStatus = { ok: 0, failure: 1, memory_full: 2, duplicate: 3 } as const;

/** A lock's user numbering: bridge slot 1 is user `base` (0 for ZCL's numbering, 1 for some locks). */
export interface UserNumbering {
  base: number;
  slot_count: number;
}

export const userIdOf = (slot: number, n: UserNumbering): number => slot - 1 + n.base;

/** The bridge slot of a user id the lock reports, or null for none (0xFFFF decodes as NaN). */
export function slotOf(userid: unknown, n: UserNumbering): number | null {
  if (typeof userid !== 'number' || !Number.isInteger(userid)) return null;
  const slot = userid - n.base + 1;
  return slot >= 1 && slot <= n.slot_count ? slot : null;
}

/** PINs travel as octet strings of ASCII digits: never numbers (leading zeros), never empty. */
export const pinBytes = (code: string): Buffer => Buffer.from(code, 'ascii');

/** The PIN in an octet string, or null when it is empty or not printable. */
export function pinText(value: unknown): string | null {
  if (!Buffer.isBuffer(value) || value.length === 0) return null;
  const text = value.toString('latin1');
  return /^[\x20-\x7e]+$/.test(text) ? text : null;
}

export interface PinCodeAnswer {
  userid: number;
  userstatus: number;
  usertype: number;
  pincodevalue: unknown;
}

/** A getPinCode answer as a slot reading (the schedule is read apart, for year-day users). */
export function readingOfPinCode(
  slot: number,
  answer: PinCodeAnswer,
  readsCodes: boolean,
): { reading: SlotReading; masked: boolean } {
  const pin = pinText(answer.pincodevalue);
  const status = answer.userstatus;
  // 0xFF ("not supported") decodes as NaN: then the PIN says whether the user is there.
  const occupied =
    status === UserStatus.enabled || status === UserStatus.disabled || (Number.isNaN(status) && pin !== null);
  if (!occupied)
    return {
      reading: { slot, state: 'empty', code: null, origin: 'unknown', schedule: null },
      masked: false,
    };
  return {
    reading: {
      slot,
      state: status === UserStatus.disabled ? 'disabled' : 'enabled',
      code: readsCodes ? pin : null,
      origin: 'unknown',
      schedule: null,
    },
    // An occupied user answered with no PIN: this lock does not give PINs back.
    masked: pin === null,
  };
}

export const lockStateOf = (value: unknown): LockState | null =>
  value === 1 ? 'locked' : value === 2 ? 'unlocked' : value === 0 ? 'jammed' : null;

export const doorStateOf = (value: unknown): DoorState =>
  value === 0 ? 'open' : value === 1 ? 'closed' : 'unknown';

/** batteryPercentageRemaining: 0..200 half percent (ZCL), or 0..100 percent (some locks); 0xFF unknown. */
export function batteryLevel(value: unknown, units: 'half_percent' | 'percent'): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value === 0xff) return null;
  const level = units === 'percent' ? value / 100 : value / 200;
  return Math.max(0, Math.min(1, level));
}

export interface OperationEvent {
  opereventsrc: number;
  opereventcode: number;
  userid: unknown;
}

/** What an operation event notification means for the bridge. */
export type Operation =
  | { kind: 'code_used'; slot: number; result: 'unlocked' | 'rejected_schedule' | 'rejected_disabled' }
  | { kind: 'wrong_code' }
  | { kind: 'lock_state'; state: LockState; source: LockActionSource; slot: number | null }
  | { kind: 'none' };

/** Operation event source: keypad, RF (over the network), manual, RFID; 0xFF indeterminate. */
const SOURCE_BY_FIELD: Record<number, LockActionSource> = { 0: 'keypad', 1: 'host', 2: 'manual' };

export function operationOf(event: OperationEvent, n: UserNumbering): Operation {
  const code = event.opereventcode;
  const slot = slotOf(event.userid, n);
  const source = SOURCE_BY_FIELD[event.opereventsrc] ?? 'unknown';
  switch (code) {
    case 1: // lock
    case 2: // unlock
      if (code === 2 && source === 'keypad' && slot !== null)
        return { kind: 'code_used', slot, result: 'unlocked' };
      return { kind: 'lock_state', state: code === 1 ? 'locked' : 'unlocked', source, slot };
    case 3: // lock failure, invalid PIN or id
    case 5: // unlock failure, invalid PIN or id
      // A user the lock knows whose PIN did not open it: disabled. Anyone else: a wrong PIN.
      return slot !== null && source === 'keypad'
        ? { kind: 'code_used', slot, result: 'rejected_disabled' }
        : { kind: 'wrong_code' };
    case 4: // lock failure, invalid schedule
    case 6: // unlock failure, invalid schedule
      return slot !== null
        ? { kind: 'code_used', slot, result: 'rejected_schedule' }
        : { kind: 'wrong_code' };
    case 7: // one-touch lock
    case 8: // key lock
    case 13: // manual lock
      return { kind: 'lock_state', state: 'locked', source: 'manual', slot: null };
    case 9: // key unlock
    case 14: // manual unlock
      return { kind: 'lock_state', state: 'unlocked', source: 'manual', slot: null };
    case 10: // auto lock
    case 11: // schedule lock
      return { kind: 'lock_state', state: 'locked', source: 'automatic', slot: null };
    case 12: // schedule unlock
      return { kind: 'lock_state', state: 'unlocked', source: 'automatic', slot: null };
    default:
      return { kind: 'none' };
  }
}

export interface ProgrammingEvent {
  programeventsrc: number;
  programeventcode: number;
  userid: unknown;
  pin: unknown;
  userstatus: unknown;
}

/** What a programming event notification says changed. */
export type Programming =
  | {
      kind: 'slot';
      slot: number;
      deleted: boolean;
      pin: string | null;
      disabled: boolean;
      over_the_air: boolean;
    }
  /** Every user may have changed (a delete of all users, or a user id the event does not give). */
  | { kind: 'all' }
  | { kind: 'none' };

export function programmingOf(event: ProgrammingEvent, n: UserNumbering): Programming {
  const code = event.programeventcode;
  // 1: master code changed; 5, 6: RFID: no PIN slot changed.
  if (code === 1 || code === 5 || code === 6) return { kind: 'none' };
  const slot = slotOf(event.userid, n);
  if (slot === null) return code === 3 || code === 0 ? { kind: 'all' } : { kind: 'none' };
  return {
    kind: 'slot',
    slot,
    deleted: code === 3,
    pin: pinText(event.pin),
    disabled: event.userstatus === UserStatus.disabled,
    over_the_air: event.programeventsrc === 1,
  };
}
