// Between lockwire's wire shapes and the driver interface's: capabilities from INFO, slot readings
// from slot records, time windows in unix seconds, NAKs as DriverErrors. Messages name slots, never codes.
import type { TimeWindow } from '../../src/core/access-code.ts';
import { DriverError, type LockCapabilities, type SlotReading } from '../driver.ts';
import {
  FLAG_CAN_READ_CODES,
  FLAG_HAS_CLOCK,
  FLAG_SUPPORTS_SCHEDULES,
  type LockInfo,
  type NakError,
  type SlotRecord,
} from './lockwire/messages.ts';

export const hasClock = (info: LockInfo): boolean => (info.flags & FLAG_HAS_CLOCK) !== 0;

/** Why an INFO can't be trusted, or null when it can. */
export function infoProblem(info: LockInfo): string | null {
  if (info.protocol !== 1) return `the lock speaks lockwire protocol ${info.protocol}, not 1`;
  if (info.slot_count < 1) return 'the lock reports no slots';
  if (info.min_len < 1 || info.min_len > info.max_len) return 'the lock reports impossible code lengths';
  if (info.serial_number === '') return 'the lock reports no serial number';
  return null;
}

export function capabilitiesOf(info: LockInfo): LockCapabilities {
  return {
    slot_count: info.slot_count,
    min_code_length: info.min_len,
    max_code_length: info.max_len,
    can_read_codes: (info.flags & FLAG_CAN_READ_CODES) !== 0,
    supports_native_scheduling: (info.flags & FLAG_SUPPORTS_SCHEDULES) !== 0,
    manufacturer: null,
    model: 'lockwire v1',
    serial_number: info.serial_number,
    firmware: info.firmware,
  };
}

export function readingOf(record: SlotRecord, caps: LockCapabilities): SlotReading {
  if (record.state === 'empty') {
    return { slot: record.slot, state: 'empty', code: null, origin: 'unknown', schedule: null };
  }
  const scheduled = record.starts_at !== 0 || record.ends_at !== 0;
  return {
    slot: record.slot,
    state: record.state,
    code: caps.can_read_codes && record.code !== '' ? record.code : null,
    origin: record.origin,
    schedule: scheduled ? { starts_at: record.starts_at * 1000, ends_at: record.ends_at * 1000 } : null,
  };
}

/**
 * A window in the whole unix seconds the lock keeps: the start rounded down and the end up, so the
 * lock never refuses a code the host meant to allow. 0,0 is "no schedule" on the wire.
 */
export function wireWindow(schedule: TimeWindow | null): { starts_at: number; ends_at: number } {
  if (schedule === null) return { starts_at: 0, ends_at: 0 };
  const starts_at = Math.max(1, Math.floor(schedule.starts_at / 1000));
  const ends_at = Math.ceil(schedule.ends_at / 1000);
  if (!(starts_at < ends_at) || ends_at > 0xffffffff) {
    throw new DriverError('unsupported', 'the schedule does not fit the lock (unix seconds up to 2106)');
  }
  return { starts_at, ends_at };
}

/** The window as the lock will keep it, in milliseconds (what a read-back will say). */
export function normalizedWindow(schedule: TimeWindow): TimeWindow {
  try {
    const { starts_at, ends_at } = wireWindow(schedule);
    return { starts_at: starts_at * 1000, ends_at: ends_at * 1000 };
  } catch {
    return schedule; // does not fit the lock: the write says so
  }
}

const NAK_KINDS = {
  bad_slot: 'bad_slot',
  bad_code: 'bad_code',
  duplicate_code: 'duplicate_code',
  busy: 'busy',
  storage_error: 'storage_error',
  unsupported: 'unsupported',
  // The lock could not parse what we sent: a driver bug, so retrying would not help.
  bad_request: 'unsupported',
} as const;

const NAK_MESSAGES: Record<NakError, string> = {
  bad_slot: 'the lock has no such slot',
  bad_code: 'the lock refused the code (length or characters)',
  duplicate_code: 'the code is already in another slot',
  busy: 'the lock is busy; try again later',
  storage_error: 'the lock failed to store the change',
  unsupported: 'the lock does not support this',
  bad_request: 'the lock could not read the request',
};

export function nakError(what: string, error: NakError, other_slot: number | null): DriverError {
  const slot = error === 'duplicate_code' && other_slot ? ` (slot ${other_slot})` : '';
  return new DriverError(NAK_KINDS[error], `${what}: ${NAK_MESSAGES[error]}${slot}`, other_slot);
}
