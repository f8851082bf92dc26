// Big-endian integers and u8-length ASCII strings, the only field types lockwire payloads use.
// The reader throws MalformedPayload on a short or over-long payload; message decoders turn that
// into "drop the frame", as the spec does with anything it can't read.

export class MalformedPayload extends Error {
  override readonly name = 'MalformedPayload';
}

export class PayloadWriter {
  private readonly bytes: number[] = [];

  u8(value: number): this {
    return this.int(value, 1);
  }

  u16(value: number): this {
    return this.int(value, 2);
  }

  u32(value: number): this {
    return this.int(value, 4);
  }

  /** An ASCII string preceded by its u8 length. */
  str(value: string): this {
    if (!/^[\x20-\x7e]*$/.test(value) || value.length > 255) {
      throw new RangeError('a lockwire string is printable ASCII of at most 255 characters');
    }
    this.u8(value.length);
    for (let i = 0; i < value.length; i++) this.bytes.push(value.charCodeAt(i));
    return this;
  }

  done(): Buffer {
    return Buffer.from(this.bytes);
  }

  private int(value: number, size: number): this {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * size)) {
      throw new RangeError(`${value} does not fit in ${size * 8} bits`);
    }
    for (let shift = (size - 1) * 8; shift >= 0; shift -= 8)
      this.bytes.push(Math.floor(value / 2 ** shift) % 256);
    return this;
  }
}

export class PayloadReader {
  private at = 0;

  constructor(private readonly payload: Buffer) {}

  u8(): number {
    return this.take(1).readUInt8(0);
  }

  u16(): number {
    return this.take(2).readUInt16BE(0);
  }

  u32(): number {
    return this.take(4).readUInt32BE(0);
  }

  str(): string {
    return this.take(this.u8()).toString('latin1');
  }

  /** Trailing bytes make a payload malformed: a frame means exactly what its fields say. */
  end(): void {
    if (this.at !== this.payload.length) throw new MalformedPayload('trailing bytes');
  }

  private take(size: number): Buffer {
    if (this.at + size > this.payload.length) throw new MalformedPayload('payload too short');
    const bytes = this.payload.subarray(this.at, this.at + size);
    this.at += size;
    return bytes;
  }
}

/** Runs a decoder; a malformed payload gives null. */
export function tryDecode<T>(decode: () => T): T | null {
  try {
    return decode();
  } catch (error) {
    if (error instanceof MalformedPayload) return null;
    throw error;
  }
}
