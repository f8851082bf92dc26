// The lockwire link layer over any byte transport: one request outstanding, re-sends with the
// same SEQ on silence, responses matched by SEQ (and by the TYPEs that can answer the request),
// events ACKed and de-duplicated. It knows nothing of ports: the owner hands it a `send` while the
// port is open and takes it away when it closes, so nothing is ever queued for a closed port.
import { EventEmitter } from 'node:events';
import { decodeEvent } from './events.ts';
import { type Frame, sameFrame } from './frame.ts';
import { isEventType, type LockEvent, type Request, type Response, Type } from './messages.ts';
import { encodeRequest } from './requests.ts';
import { decodeResponse } from './responses.ts';
import { encodeFrame } from './slip.ts';

export type LinkErrorKind = 'timeout' | 'closed' | 'unreachable';

export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(
    readonly kind: LinkErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface LinkOptions {
  /** How long to wait for a response before re-sending (spec: 300 ms). */
  response_timeout_ms: number;
  /** Re-sends after the first send (spec: 3). */
  max_resends?: number;
}

export interface LinkEvents {
  event: [LockEvent];
  /** A request went unanswered through every re-send: the lock counts as unreachable. */
  unreachable: [];
}

/** Which response TYPEs may answer a request TYPE; anything else with its SEQ is stale. */
const ANSWERS: Record<number, readonly number[]> = {
  [Type.GET_INFO]: [Type.INFO],
  [Type.READ_SLOT]: [Type.SLOT, Type.NAK],
  [Type.READ_SLOTS]: [Type.SLOTS, Type.NAK],
  [Type.GET_STATUS]: [Type.STATUS],
};
const ACK_OR_NAK = [Type.ACK, Type.NAK];

type Send = (bytes: Buffer) => void;

interface Pending {
  request: Request;
  resolve: (response: Response) => void;
  reject: (error: LinkError) => void;
}

interface InFlight extends Pending {
  seq: number;
  type: number;
  wire: Buffer;
  sends: number;
  timer: NodeJS.Timeout;
}

export class Link extends EventEmitter<LinkEvents> {
  private readonly timeoutMs: number;
  private readonly maxResends: number;
  private send: Send | null = null;
  // A random first SEQ: a restarted host must not repeat the SEQ and body the lock last saw,
  // or the lock would answer from memory instead of acting.
  private seq = Math.floor(Math.random() * 256);
  private inFlight: InFlight | null = null;
  private readonly queue: Pending[] = [];
  private lastEvent: Frame | null = null;

  constructor(options: LinkOptions) {
    super();
    this.timeoutMs = options.response_timeout_ms;
    this.maxResends = options.max_resends ?? 3;
  }

  /** The port opened: bytes can go out. */
  connect(send: Send): void {
    this.send = send;
    this.lastEvent = null;
  }

  /** The port closed: every request in flight or queued fails now, none is sent later. */
  disconnect(reason: string): void {
    this.send = null;
    this.failAll(new LinkError('closed', reason));
  }

  get connected(): boolean {
    return this.send !== null;
  }

  request(request: Request): Promise<Response> {
    if (this.send === null) return Promise.reject(new LinkError('closed', 'the serial port is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.next();
    });
  }

  /** A checked frame from the port. */
  receive(frame: Frame): void {
    if (isEventType(frame.type)) this.receiveEvent(frame);
    else this.receiveResponse(frame);
  }

  private next(): void {
    if (this.inFlight !== null || this.send === null) return;
    const pending = this.queue.shift();
    if (pending === undefined) return;
    this.seq = (this.seq + 1) & 0xff;
    const encoded = encodeRequest(pending.request);
    const wire = encodeFrame({ seq: this.seq, ...encoded });
    const timer = setTimeout(() => this.expired(), this.timeoutMs);
    this.inFlight = { ...pending, seq: this.seq, type: encoded.type, wire, sends: 1, timer };
    this.send(wire);
  }

  private expired(): void {
    const current = this.inFlight;
    if (current === null || this.send === null) return;
    if (current.sends <= this.maxResends) {
      current.sends++;
      current.timer = setTimeout(() => this.expired(), this.timeoutMs);
      this.send(current.wire); // the same bytes, so the same SEQ: the lock won't act twice
      return;
    }
    this.inFlight = null;
    current.reject(new LinkError('timeout', `no answer after ${current.sends} sends`));
    // Whatever waited behind it would only time out too: the lock is unreachable until probed.
    this.failQueued(new LinkError('unreachable', 'the lock stopped answering'));
    this.emit('unreachable');
  }

  private receiveResponse(frame: Frame): void {
    const current = this.inFlight;
    if (current === null || frame.seq !== current.seq) return; // late answer to an earlier send
    if (!(ANSWERS[current.type] ?? ACK_OR_NAK).includes(frame.type)) return;
    const response = decodeResponse(frame.type, frame.payload);
    if (response === null) return; // unreadable: the re-send will ask again
    clearTimeout(current.timer);
    this.inFlight = null;
    current.resolve(response);
    this.next();
  }

  private receiveEvent(frame: Frame): void {
    const event = decodeEvent(frame.type, frame.payload);
    if (event === null) return; // a frame we can't read is dropped, and never answered
    this.send?.(encodeFrame({ seq: frame.seq, type: Type.ACK, payload: Buffer.alloc(0) }));
    // The lock re-sends an event whose ACK it missed: ACKed again, handled once.
    if (this.lastEvent !== null && sameFrame(this.lastEvent, frame)) return;
    this.lastEvent = frame;
    this.emit('event', event);
  }

  private failAll(error: LinkError): void {
    const current = this.inFlight;
    this.inFlight = null;
    if (current !== null) {
      clearTimeout(current.timer);
      current.reject(error);
    }
    this.failQueued(error);
  }

  private failQueued(error: LinkError): void {
    for (const pending of this.queue.splice(0)) pending.reject(error);
  }
}
