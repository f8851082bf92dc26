// Responses (lock to host): encoded by the simulator, decoded by the driver.
import { byteOf, nameOf } from './enums.ts';
import {
  DOOR_STATES,
  type Encoded,
  LOCK_STATES,
  NAK_ERRORS,
  type Response,
  SLOT_ORIGINS,
  SLOT_STATES,
  type SlotRecord,
  Type,
} from './messages.ts';
import { PayloadReader, PayloadWriter, tryDecode } from './wire.ts';

const UNKNOWN_BATTERY = 255;

export function encodeResponse(response: Response): Encoded {
  const w = new PayloadWriter();
  switch (response.type) {
    case 'info': {
      const i = response.info;
      w.u8(i.protocol).u16(i.slot_count).u8(i.min_len).u8(i.max_len).u8(i.flags);
      return { type: Type.INFO, payload: w.str(i.firmware).str(i.serial_number).done() };
    }
    case 'slot':
      return { type: Type.SLOT, payload: writeRecord(w, response.record).done() };
    case 'slots':
      w.u8(response.records.length);
      for (const record of response.records) writeRecord(w, record);
      return { type: Type.SLOTS, payload: w.done() };
    case 'status':
      w.u8(byteOf(LOCK_STATES, response.lock_state)).u8(byteOf(DOOR_STATES, response.door));
      return { type: Type.STATUS, payload: w.u8(response.battery ?? UNKNOWN_BATTERY).done() };
    case 'ack':
      return { type: Type.ACK, payload: w.done() };
    case 'nak':
      w.u8(byteOf(NAK_ERRORS, response.error));
      if (response.error === 'duplicate_code') w.u16(response.other_slot ?? 0);
      return { type: Type.NAK, payload: w.done() };
  }
}

/** The response in a frame, or null when the TYPE is not a response or the payload is malformed. */
export function decodeResponse(type: number, payload: Buffer): Response | null {
  return tryDecode(() => {
    const r = new PayloadReader(payload);
    const response = readResponse(type, r);
    if (response !== null) r.end();
    return response;
  });
}

function readResponse(type: number, r: PayloadReader): Response | null {
  switch (type) {
    case Type.INFO:
      return {
        type: 'info',
        info: {
          protocol: r.u8(),
          slot_count: r.u16(),
          min_len: r.u8(),
          max_len: r.u8(),
          flags: r.u8(),
          firmware: r.str(),
          serial_number: r.str(),
        },
      };
    case Type.SLOT:
      return { type: 'slot', record: readRecord(r) };
    case Type.SLOTS: {
      const count = r.u8();
      return { type: 'slots', records: Array.from({ length: count }, () => readRecord(r)) };
    }
    case Type.STATUS: {
      const lock_state = nameOf(LOCK_STATES, r.u8(), 'lock_state');
      const door = nameOf(DOOR_STATES, r.u8(), 'door');
      const battery = r.u8();
      return { type: 'status', lock_state, door, battery: battery <= 100 ? battery : null };
    }
    case Type.ACK:
      return { type: 'ack' };
    case Type.NAK: {
      const error = nameOf(NAK_ERRORS, r.u8(), 'NAK error');
      return { type: 'nak', error, other_slot: error === 'duplicate_code' ? r.u16() : null };
    }
    default:
      return null;
  }
}

function writeRecord(w: PayloadWriter, record: SlotRecord): PayloadWriter {
  w.u16(record.slot).u8(byteOf(SLOT_STATES, record.state)).u8(byteOf(SLOT_ORIGINS, record.origin));
  return w.str(record.code).u32(record.starts_at).u32(record.ends_at);
}

function readRecord(r: PayloadReader): SlotRecord {
  return {
    slot: r.u16(),
    state: nameOf(SLOT_STATES, r.u8(), 'slot state'),
    origin: nameOf(SLOT_ORIGINS, r.u8(), 'slot origin'),
    code: r.str(),
    starts_at: r.u32(),
    ends_at: r.u32(),
  };
}

/** Bytes one slot record takes in a SLOT or SLOTS payload. */
export const recordSize = (record: SlotRecord): number => 2 + 1 + 1 + 1 + record.code.length + 4 + 4;
