// The lockwire v1 message vocabulary: TYPE bytes and the decoded shape of every message. Times on
// the wire are unix seconds; the driver converts to the core's epoch milliseconds.

export const Type = {
  GET_INFO: 0x01,
  READ_SLOT: 0x02,
  WRITE_SLOT: 0x03,
  CLEAR_SLOT: 0x04,
  LOCK: 0x05,
  UNLOCK: 0x06,
  GET_STATUS: 0x07,
  READ_SLOTS: 0x08,
  SET_CLOCK: 0x09,
  INFO: 0x81,
  SLOT: 0x82,
  STATUS: 0x87,
  SLOTS: 0x88,
  ACK: 0x90,
  NAK: 0x91,
  EVT_CODE_USED: 0xc1,
  EVT_SLOT_CHANGED: 0xc2,
  EVT_LOCK_STATE: 0xc3,
  EVT_BATTERY: 0xc4,
  EVT_BOOT: 0xc5,
  EVT_WRONG_CODE: 0xc6,
} as const;

export const isEventType = (type: number): boolean => type >= 0xc1 && type <= 0xc6;

/** Most slot records READ_SLOTS may ask for at once. */
export const MAX_READ_SLOTS = 16;

export const FLAG_CAN_READ_CODES = 0x01;
export const FLAG_SUPPORTS_SCHEDULES = 0x02;
export const FLAG_HAS_CLOCK = 0x04;

/** NAK error codes, by their byte (index 0 is unused). */
export const NAK_ERRORS = [
  null,
  'bad_slot',
  'bad_code',
  'duplicate_code',
  'busy',
  'storage_error',
  'unsupported',
  'bad_request',
] as const;
export type NakError = Exclude<(typeof NAK_ERRORS)[number], null>;

export const SLOT_STATES = ['empty', 'enabled', 'disabled'] as const;
export const SLOT_ORIGINS = ['host', 'keypad', 'unknown'] as const;
export const LOCK_STATES = ['unknown', 'locked', 'unlocked', 'jammed'] as const;
export const DOOR_STATES = ['unknown', 'closed', 'open'] as const;
export const ACTION_SOURCES = ['keypad', 'manual', 'host', 'automatic'] as const;
export const CODE_RESULTS = ['unlocked', 'rejected_schedule', 'rejected_disabled'] as const;
export const BOOT_REASONS = ['power_on', 'watchdog', 'factory_reset'] as const;

export interface SlotRecord {
  slot: number;
  state: (typeof SLOT_STATES)[number];
  origin: (typeof SLOT_ORIGINS)[number];
  /** '' when the slot is empty or the lock can't read codes back. */
  code: string;
  /** Unix seconds; 0 and 0 mean no schedule. */
  starts_at: number;
  ends_at: number;
}

export interface LockInfo {
  protocol: number;
  slot_count: number;
  min_len: number;
  max_len: number;
  flags: number;
  firmware: string;
  serial_number: string;
}

export type Request =
  | { type: 'get_info' }
  | { type: 'read_slot'; slot: number }
  | { type: 'write_slot'; slot: number; code: string; starts_at: number; ends_at: number }
  | { type: 'clear_slot'; slot: number }
  | { type: 'lock' }
  | { type: 'unlock' }
  | { type: 'get_status' }
  | { type: 'read_slots'; first: number; count: number }
  | { type: 'set_clock'; now: number };

export type Response =
  | { type: 'info'; info: LockInfo }
  | { type: 'slot'; record: SlotRecord }
  | { type: 'slots'; records: SlotRecord[] }
  | {
      type: 'status';
      lock_state: (typeof LOCK_STATES)[number];
      door: (typeof DOOR_STATES)[number];
      /** 0..100, or null when the lock does not know (255 on the wire). */
      battery: number | null;
    }
  | { type: 'ack' }
  | { type: 'nak'; error: NakError; other_slot: number | null };

export type LockEvent =
  | { type: 'code_used'; slot: number; result: (typeof CODE_RESULTS)[number] }
  | { type: 'slot_changed'; slot: number }
  | {
      type: 'lock_state';
      lock_state: (typeof LOCK_STATES)[number];
      source: (typeof ACTION_SOURCES)[number];
      /** 0 when no code was used. */
      slot: number;
    }
  | { type: 'battery'; level: number }
  | { type: 'boot'; reason: (typeof BOOT_REASONS)[number] }
  | { type: 'wrong_code'; attempts: number };

/** A message as it travels: its TYPE byte and payload, SEQ added by the link. */
export interface Encoded {
  type: number;
  payload: Buffer;
}
