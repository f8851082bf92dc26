// Requests (host to lock): encoded by the driver, decoded by the simulator.
import { type Encoded, MAX_READ_SLOTS, type Request, Type } from './messages.ts';
import { MalformedPayload, PayloadReader, PayloadWriter, tryDecode } from './wire.ts';

export function encodeRequest(request: Request): Encoded {
  const w = new PayloadWriter();
  switch (request.type) {
    case 'get_info':
      return { type: Type.GET_INFO, payload: w.done() };
    case 'read_slot':
      return { type: Type.READ_SLOT, payload: w.u16(request.slot).done() };
    case 'write_slot':
      return {
        type: Type.WRITE_SLOT,
        payload: w.u16(request.slot).str(request.code).u32(request.starts_at).u32(request.ends_at).done(),
      };
    case 'clear_slot':
      return { type: Type.CLEAR_SLOT, payload: w.u16(request.slot).done() };
    case 'lock':
      return { type: Type.LOCK, payload: w.done() };
    case 'unlock':
      return { type: Type.UNLOCK, payload: w.done() };
    case 'get_status':
      return { type: Type.GET_STATUS, payload: w.done() };
    case 'read_slots':
      if (request.count < 1 || request.count > MAX_READ_SLOTS) {
        throw new RangeError(`READ_SLOTS reads 1..${MAX_READ_SLOTS} slots, not ${request.count}`);
      }
      return { type: Type.READ_SLOTS, payload: w.u16(request.first).u8(request.count).done() };
    case 'set_clock':
      return { type: Type.SET_CLOCK, payload: w.u32(request.now).done() };
  }
}

/**
 * The request in a frame, or null when its TYPE is not a request. Throws MalformedPayload when the
 * TYPE is known but the payload is not (the lock answers that with NAK bad_request).
 */
export function decodeRequest(type: number, payload: Buffer): Request | null {
  const r = new PayloadReader(payload);
  const request = readRequest(type, r);
  if (request !== null) r.end();
  return request;
}

function readRequest(type: number, r: PayloadReader): Request | null {
  switch (type) {
    case Type.GET_INFO:
      return { type: 'get_info' };
    case Type.READ_SLOT:
      return { type: 'read_slot', slot: r.u16() };
    case Type.WRITE_SLOT:
      return { type: 'write_slot', slot: r.u16(), code: r.str(), starts_at: r.u32(), ends_at: r.u32() };
    case Type.CLEAR_SLOT:
      return { type: 'clear_slot', slot: r.u16() };
    case Type.LOCK:
      return { type: 'lock' };
    case Type.UNLOCK:
      return { type: 'unlock' };
    case Type.GET_STATUS:
      return { type: 'get_status' };
    case Type.READ_SLOTS: {
      const first = r.u16();
      const count = r.u8();
      if (count < 1 || count > MAX_READ_SLOTS) throw new MalformedPayload('READ_SLOTS count out of range');
      return { type: 'read_slots', first, count };
    }
    case Type.SET_CLOCK:
      return { type: 'set_clock', now: r.u32() };
    default:
      return null;
  }
}

/** decodeRequest that also gives null for a malformed payload. */
export const tryDecodeRequest = (type: number, payload: Buffer): Request | null =>
  tryDecode(() => decodeRequest(type, payload));
