// SLIP framing (RFC 1055) with serialport's own encoder and decoder. The decoder yields whole,
// checked frames: bodies that fail the frame rules (length, VER, CRC) are dropped here, so noise
// between frames, truncated frames and corrupted bytes never reach the link.
import { SlipDecoder, SlipEncoder } from 'serialport';
import { decodeBody, encodeBody, type Frame, MAX_BODY } from './frame.ts';

// The "Bluetooth quirk" puts END before the frame as well as after it, as lockwire sends frames:
// a leading END flushes any noise the receiver gathered since the last frame.
const encoder = new SlipEncoder({ bluetoothQuirk: true });

/** The bytes of one frame exactly as sent on the wire. */
export function encodeFrame(frame: Frame): Buffer {
  // The encoder is a Transform whose _transform is synchronous: what is written is readable at once.
  encoder.write(encodeBody(frame));
  const wire = encoder.read() as Buffer | null;
  if (wire === null) throw new Error('the SLIP encoder held back a frame');
  return wire;
}

/** Bytes in, Frames out (object mode). Never throws on what it reads. */
export class FrameDecoder extends SlipDecoder {
  /** The frame being gathered outgrew any legal frame: drop it when it ends. */
  private overlong = false;

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, cb: (error?: Error | null) => void): void {
    // Fed in small pieces so a run of noise without END can't grow the decoder's buffer unbounded.
    for (let at = 0; at < chunk.length; at += 64) {
      super._transform(chunk.subarray(at, at + 64), encoding, () => undefined);
      if (this.buffer.length > MAX_BODY) {
        this.buffer = Buffer.alloc(0);
        this.overlong = true;
      }
    }
    cb();
  }

  override push(body: unknown): boolean {
    if (body === null) return super.push(null);
    if (this.overlong) {
      this.overlong = false;
      return true;
    }
    const frame = body instanceof Uint8Array ? decodeBody(body) : null;
    return frame === null ? true : super.push(frame);
  }
}
