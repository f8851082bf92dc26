// Events (lock to host, numbered by the lock's own SEQ): encoded by the simulator, decoded by the driver.
import { byteOf, nameOf } from './enums.ts';
import {
  ACTION_SOURCES,
  BOOT_REASONS,
  CODE_RESULTS,
  type Encoded,
  LOCK_STATES,
  type LockEvent,
  Type,
} from './messages.ts';
import { PayloadReader, PayloadWriter, tryDecode } from './wire.ts';

export function encodeEvent(event: LockEvent): Encoded {
  const w = new PayloadWriter();
  switch (event.type) {
    case 'code_used':
      return {
        type: Type.EVT_CODE_USED,
        payload: w.u16(event.slot).u8(byteOf(CODE_RESULTS, event.result)).done(),
      };
    case 'slot_changed':
      return { type: Type.EVT_SLOT_CHANGED, payload: w.u16(event.slot).done() };
    case 'lock_state':
      w.u8(byteOf(LOCK_STATES, event.lock_state)).u8(byteOf(ACTION_SOURCES, event.source));
      return { type: Type.EVT_LOCK_STATE, payload: w.u16(event.slot).done() };
    case 'battery':
      return { type: Type.EVT_BATTERY, payload: w.u8(event.level).done() };
    case 'boot':
      return { type: Type.EVT_BOOT, payload: w.u8(byteOf(BOOT_REASONS, event.reason)).done() };
    case 'wrong_code':
      return { type: Type.EVT_WRONG_CODE, payload: w.u8(event.attempts).done() };
  }
}

/** The event in a frame, or null when the TYPE is not an event or the payload is malformed. */
export function decodeEvent(type: number, payload: Buffer): LockEvent | null {
  return tryDecode(() => {
    const r = new PayloadReader(payload);
    const event = readEvent(type, r);
    if (event !== null) r.end();
    return event;
  });
}

function readEvent(type: number, r: PayloadReader): LockEvent | null {
  switch (type) {
    case Type.EVT_CODE_USED:
      return { type: 'code_used', slot: r.u16(), result: nameOf(CODE_RESULTS, r.u8(), 'result') };
    case Type.EVT_SLOT_CHANGED:
      return { type: 'slot_changed', slot: r.u16() };
    case Type.EVT_LOCK_STATE:
      return {
        type: 'lock_state',
        lock_state: nameOf(LOCK_STATES, r.u8(), 'lock_state'),
        source: nameOf(ACTION_SOURCES, r.u8(), 'source'),
        slot: r.u16(),
      };
    case Type.EVT_BATTERY:
      return { type: 'battery', level: r.u8() };
    case Type.EVT_BOOT:
      return { type: 'boot', reason: nameOf(BOOT_REASONS, r.u8(), 'boot reason') };
    case Type.EVT_WRONG_CODE:
      return { type: 'wrong_code', attempts: r.u8() };
    default:
      return null;
  }
}
