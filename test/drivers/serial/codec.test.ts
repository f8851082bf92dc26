// The spec's test vectors byte for byte, both ways, and a decoder that survives any bytes.
import { describe, expect, it } from 'vitest';
import { crc16 } from '../../../drivers/serial/lockwire/crc.ts';
import { decodeEvent, encodeEvent } from '../../../drivers/serial/lockwire/events.ts';
import { decodeBody, type Frame } from '../../../drivers/serial/lockwire/frame.ts';
import type { LockEvent, Request, Response } from '../../../drivers/serial/lockwire/messages.ts';
import { decodeRequest, encodeRequest } from '../../../drivers/serial/lockwire/requests.ts';
import { decodeResponse, encodeResponse } from '../../../drivers/serial/lockwire/responses.ts';
import { encodeFrame, FrameDecoder } from '../../../drivers/serial/lockwire/slip.ts';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function decodeAll(bytes: Buffer, chunk = bytes.length || 1): Frame[] {
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  for (let at = 0; at < bytes.length; at += chunk) {
    decoder.write(bytes.subarray(at, at + chunk));
    for (let f = decoder.read() as Frame | null; f !== null; f = decoder.read() as Frame | null)
      frames.push(f);
  }
  return frames;
}

type Vector =
  | { name: string; seq: number; wire: string; request: Request }
  | { name: string; seq: number; wire: string; response: Response }
  | { name: string; seq: number; wire: string; event: LockEvent };

const VECTORS: Vector[] = [
  { name: 'GET_INFO', seq: 1, wire: 'C0 01 01 01 D8 BC C0', request: { type: 'get_info' } },
  {
    name: 'INFO',
    seq: 1,
    wire: 'C0 01 01 81 01 00 1E 04 08 03 05 31 2E 34 2E 32 06 4C 4B 30 30 30 31 7E 5A C0',
    response: {
      type: 'info',
      info: {
        protocol: 1,
        slot_count: 30,
        min_len: 4,
        max_len: 8,
        flags: 3,
        firmware: '1.4.2',
        serial_number: 'LK0001',
      },
    },
  },
  {
    name: 'WRITE_SLOT without schedule',
    seq: 2,
    wire: 'C0 01 02 03 00 03 04 31 32 33 34 00 00 00 00 00 00 00 00 85 D5 C0',
    request: { type: 'write_slot', slot: 3, code: '1234', starts_at: 0, ends_at: 0 },
  },
  {
    name: 'WRITE_SLOT with schedule',
    seq: 3,
    wire: 'C0 01 03 03 00 04 08 35 35 36 36 37 37 38 38 69 55 B9 00 69 5E F3 80 8B 36 C0',
    request: { type: 'write_slot', slot: 4, code: '55667788', starts_at: 1767225600, ends_at: 1767830400 },
  },
  { name: 'ACK', seq: 2, wire: 'C0 01 02 90 1E 77 C0', response: { type: 'ack' } },
  {
    name: 'NAK duplicate_code',
    seq: 2,
    wire: 'C0 01 02 91 03 00 05 B6 ED C0',
    response: { type: 'nak', error: 'duplicate_code', other_slot: 5 },
  },
  {
    name: 'CLEAR_SLOT with an escaped SEQ',
    seq: 192,
    wire: 'C0 01 DB DC 04 00 03 E4 5A C0',
    request: { type: 'clear_slot', slot: 3 },
  },
  { name: 'READ_SLOT', seq: 5, wire: 'C0 01 05 02 00 07 19 9F C0', request: { type: 'read_slot', slot: 7 } },
  {
    name: 'SLOT',
    seq: 5,
    wire: 'C0 01 05 82 00 07 01 01 04 39 38 37 36 00 00 00 00 00 00 00 00 F9 F7 C0',
    response: {
      type: 'slot',
      record: { slot: 7, state: 'enabled', origin: 'keypad', code: '9876', starts_at: 0, ends_at: 0 },
    },
  },
  {
    name: 'READ_SLOTS',
    seq: 6,
    wire: 'C0 01 06 08 00 01 02 10 85 C0',
    request: { type: 'read_slots', first: 1, count: 2 },
  },
  {
    name: 'SLOTS',
    seq: 6,
    wire: 'C0 01 06 88 02 00 01 00 00 00 00 00 00 00 00 00 00 00 00 02 01 00 04 32 34 36 38 00 00 00 00 00 00 00 00 60 C4 C0',
    response: {
      type: 'slots',
      records: [
        { slot: 1, state: 'empty', origin: 'host', code: '', starts_at: 0, ends_at: 0 },
        { slot: 2, state: 'enabled', origin: 'host', code: '2468', starts_at: 0, ends_at: 0 },
      ],
    },
  },
  {
    name: 'EVT_CODE_USED',
    seq: 9,
    wire: 'C0 01 09 C1 00 03 00 73 8F C0',
    event: { type: 'code_used', slot: 3, result: 'unlocked' },
  },
  {
    name: 'EVT_BOOT factory reset',
    seq: 10,
    wire: 'C0 01 0A C5 02 FC 56 C0',
    event: { type: 'boot', reason: 'factory_reset' },
  },
];

function encodeVector(v: Vector): Buffer {
  const encoded =
    'request' in v
      ? encodeRequest(v.request)
      : 'response' in v
        ? encodeResponse(v.response)
        : encodeEvent(v.event);
  return encodeFrame({ seq: v.seq, ...encoded });
}

function decodeVector(v: Vector, frame: Frame): unknown {
  if ('request' in v) return decodeRequest(frame.type, frame.payload);
  if ('response' in v) return decodeResponse(frame.type, frame.payload);
  return decodeEvent(frame.type, frame.payload);
}

const expected = (v: Vector): unknown =>
  'request' in v ? v.request : 'response' in v ? v.response : v.event;

describe('lockwire codec: the spec test vectors', () => {
  it('computes the CRC-16/CCITT-FALSE check value', () => {
    expect(crc16(Buffer.from('123456789', 'ascii'))).toBe(0x29b1);
  });

  for (const v of VECTORS) {
    it(`encodes ${v.name} byte for byte`, () => {
      expect(encodeVector(v).toString('hex')).toBe(hex(v.wire).toString('hex'));
    });

    it(`decodes ${v.name}`, () => {
      const frames = decodeAll(hex(v.wire));
      expect(frames).toHaveLength(1);
      expect(frames[0]!.seq).toBe(v.seq);
      expect(decodeVector(v, frames[0]!)).toEqual(expected(v));
    });

    it(`decodes ${v.name} fed one byte at a time`, () => {
      const frames = decodeAll(hex(v.wire), 1);
      expect(frames.map((f) => f.seq)).toEqual([v.seq]);
    });
  }
});

describe('lockwire codec: bad input', () => {
  const ack = hex('C0 01 02 90 1E 77 C0');
  const info = hex(VECTORS[1]!.wire);

  it('ignores noise between frames and still finds every frame', () => {
    const noise = hex('00 FF 13 37 DB 42 01 01 01');
    const frames = decodeAll(Buffer.concat([noise, ack, noise, info, noise]));
    expect(frames.map((f) => [f.seq, f.type])).toEqual([
      [2, 0x90],
      [1, 0x81],
    ]);
  });

  it('drops a frame with one flipped bit and resynchronises on the next', () => {
    for (let bit = 0; bit < (info.length - 2) * 8; bit++) {
      const bad = Buffer.from(info);
      const at = 1 + Math.floor(bit / 8);
      bad[at]! ^= 1 << (bit % 8);
      const frames = decodeAll(Buffer.concat([bad, ack]));
      // The flipped frame never passes; the good ACK after it always does.
      expect(frames.map((f) => f.type)).toEqual([0x90]);
    }
  });

  it('drops a truncated frame and resynchronises', () => {
    const truncated = info.subarray(0, 12);
    expect(decodeAll(Buffer.concat([truncated, ack])).map((f) => f.type)).toEqual([0x90]);
  });

  it('drops frames shorter than 5 bytes, longer than 245, or with VER other than 1', () => {
    expect(decodeBody(hex('01 02 90 1E'))).toBeNull();
    const wrongVersion = hex('02 02 90 00 00');
    wrongVersion.writeUInt16BE(crc16(wrongVersion.subarray(0, 3)), 3);
    expect(decodeBody(wrongVersion)).toBeNull();
    const long = Buffer.alloc(246, 0x31);
    long[0] = 1;
    long.writeUInt16BE(crc16(long.subarray(0, 244)), 244);
    expect(decodeBody(long)).toBeNull();
    expect(decodeAll(Buffer.concat([Buffer.from([0xc0]), long, ack])).map((f) => f.type)).toEqual([0x90]);
  });

  it('refuses to encode what the wire cannot carry', () => {
    expect(() => encodeRequest({ type: 'read_slots', first: 1, count: 17 })).toThrow(RangeError);
    expect(() => encodeRequest({ type: 'read_slot', slot: 70000 })).toThrow(RangeError);
    expect(() => encodeFrame({ seq: 256, type: 1, payload: Buffer.alloc(0) })).toThrow(RangeError);
    expect(() => encodeFrame({ seq: 1, type: 1, payload: Buffer.alloc(241) })).toThrow(RangeError);
  });

  it('gives null, not an exception, for malformed payloads', () => {
    expect(decodeResponse(0x81, hex('01 00'))).toBeNull();
    expect(decodeResponse(0x90, hex('00'))).toBeNull(); // trailing byte
    expect(decodeResponse(0x91, hex('09'))).toBeNull(); // undefined NAK error
    expect(decodeResponse(0x87, hex('07 00 10'))).toBeNull(); // undefined lock state
    expect(decodeEvent(0xc5, hex('03'))).toBeNull();
    expect(decodeEvent(0x01, hex(''))).toBeNull(); // a request is not an event
    expect(decodeResponse(0x87, hex('01 02 FF'))).toEqual({
      type: 'status',
      lock_state: 'locked',
      door: 'open',
      battery: null,
    });
  });

  it('fuzz: random bytes never throw and never yield a frame whose CRC is wrong', () => {
    let seed = 0x5eed;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed >> 16;
    };
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    decoder.on('data', (f: Frame) => frames.push(f));
    const fed: Buffer[] = [];
    for (let round = 0; round < 2000; round++) {
      const chunk = Buffer.alloc(1 + (random() % 600));
      // Plenty of END, ESC and VER bytes, so short "frames" of every kind reach the CRC check.
      for (let i = 0; i < chunk.length; i++) {
        const r = random() % 16;
        chunk[i] = r === 0 ? 0xc0 : r === 1 ? 0xdb : r === 2 ? 0x01 : random() & 0xff;
      }
      fed.push(chunk);
      expect(() => decoder.write(chunk)).not.toThrow();
    }
    const stream = Buffer.concat(fed);
    expect(stream.length).toBeGreaterThan(100_000);
    for (const f of frames) {
      // What came out, sealed with its true CRC, must be what was on the wire: a frame yielded
      // despite a wrong CRC would not be found.
      expect(stream.includes(encodeFrame(f).subarray(1))).toBe(true);
    }
    // The random stream also carries valid frames that must come through.
    decoder.write(ack);
    expect(frames.at(-1)?.type).toBe(0x90);
  });
});
