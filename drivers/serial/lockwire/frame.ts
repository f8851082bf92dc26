// One lockwire frame body (VER SEQ TYPE PAYLOAD CRC), before SLIP. Decoding is total: anything
// that is not a well-formed frame comes back as null, never as an exception, because it is
// line noise the spec tells a receiver to drop silently.
import { crc16 } from './crc.ts';

export const PROTOCOL_VERSION = 1;
export const MAX_PAYLOAD = 240;
/** VER + SEQ + TYPE + CRC. */
const OVERHEAD = 5;
export const MAX_BODY = MAX_PAYLOAD + OVERHEAD;

export interface Frame {
  seq: number;
  type: number;
  payload: Buffer;
}

export function encodeBody(frame: Frame): Buffer {
  if (!Number.isInteger(frame.seq) || frame.seq < 0 || frame.seq > 255) {
    throw new RangeError(`a SEQ must be 0..255, not ${frame.seq}`);
  }
  if (frame.payload.length > MAX_PAYLOAD) {
    throw new RangeError(`a payload holds at most ${MAX_PAYLOAD} bytes, not ${frame.payload.length}`);
  }
  const body = Buffer.alloc(frame.payload.length + OVERHEAD);
  body[0] = PROTOCOL_VERSION;
  body[1] = frame.seq;
  body[2] = frame.type;
  frame.payload.copy(body, 3);
  body.writeUInt16BE(crc16(body.subarray(0, body.length - 2)), body.length - 2);
  return body;
}

/** The frame in a de-SLIPped body, or null when the spec says to drop it. */
export function decodeBody(body: Uint8Array): Frame | null {
  if (body.length < OVERHEAD || body.length > MAX_BODY) return null;
  if (body[0] !== PROTOCOL_VERSION) return null;
  const end = body.length - 2;
  const sealed = ((body[end]! << 8) | body[end + 1]!) >>> 0;
  if (crc16(body.subarray(0, end)) !== sealed) return null;
  return { seq: body[1]!, type: body[2]!, payload: Buffer.from(body.subarray(3, end)) };
}

/** Same SEQ, TYPE and payload: the spec's test for a re-send. */
export function sameFrame(a: Frame, b: Frame): boolean {
  return a.seq === b.seq && a.type === b.type && a.payload.equals(b.payload);
}
