// The lockwire link layer over any byte transport: one request outstanding, re-sends with the
// same SEQ on silence, responses matched by SEQ (and by the TYPEs that can answer the request),
// events handled first and ACKed after, de-duplicated. A request that goes unanswered through its
// re-sends is followed by a liveness check (the owner's GET_INFO) before the lock counts as
// unreachable: a lock that can't answer one request (a frame too long to send, a TYPE its firmware
// ignores) still answers.
// It knows nothing of ports: the owner hands it a `send` while the port is open and takes it away
// when it closes, so nothing is ever queued for a closed port.
import { EventEmitter } from 'node:events';
import { decodeEvent } from './events.ts';
import { type Frame, sameFrame } from './frame.ts';
import { type Encoded, isEventType, type LockEvent, type Request, type Response, Type } from './messages.ts';
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
  /**
   * Sent ahead of anything queued when a request goes unanswered through its re-sends: if the lock
   * answers it, only that request fails and the lock stays reachable; if it goes unanswered too, the
   * lock is unreachable. Without one, or when the unanswered request is of its own type (a probe),
   * the lock is unreachable at once.
   */
  liveness?: Request;
  /**
   * Whether the owner can take this event now; when not, it is neither handled nor ACKed and the
   * lock sends it again (a keypad use reported before the lock was adopted after a restart).
   */
  acceptEvent?: (event: LockEvent) => boolean;
}

export interface LinkEvents {
  /** A listener must record the event before it returns: the ACK goes out after. */
  event: [LockEvent];
  /** An 'event' listener threw: the event was not ACKed, and the lock will send it again. */
  event_failed: [LockEvent, Error];
  /** A request and then the liveness check went unanswered: the lock counts as unreachable. */
  unreachable: [];
  /** A request went unanswered through every re-send, but the lock answered the liveness check. */
  unanswered: [Request];
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
  /** Encoded when asked for, so that a request the wire can't carry fails its caller, not the link. */
  encoded: Encoded;
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
  private readonly liveness: Request | null;
  private readonly acceptEvent: (event: LockEvent) => boolean;
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
    this.liveness = options.liveness ?? null;
    this.acceptEvent = options.acceptEvent ?? (() => true);
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
    let encoded: Encoded;
    try {
      encoded = encodeRequest(request);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ request, encoded, resolve, reject });
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
    const encoded = pending.encoded;
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
    const unanswered = `no answer after ${current.sends} sends`;
    const check = this.liveness;
    if (check === null || check.type === current.request.type) {
      this.unreachable(current, new LinkError('timeout', unanswered));
      return;
    }
    // Is it this request or the lock? The check goes out before anything queued, and the request's
    // failure is told only after the verdict, so its caller sees the lock online or offline already.
    this.queue.unshift({
      request: check,
      encoded: encodeRequest(check),
      resolve: () => {
        current.reject(new LinkError('timeout', `${unanswered}, though the lock still answers`));
        this.emit('unanswered', current.request);
      },
      // Unanswered (unreachable() fails the queue next), or the port closed: either way the request
      // was sent and not answered, so its outcome is unknown.
      reject: () => current.reject(new LinkError('timeout', unanswered)),
    });
    this.next();
  }

  /** Nothing answers: the request fails, and whatever waited behind it would only time out too. */
  private unreachable(current: Pending, error: LinkError): void {
    current.reject(error);
    this.failQueued(new LinkError('unreachable', 'the lock stopped answering'));
    this.emit('unreachable'); // the owner marks the lock offline before any caller hears of it
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

  /**
   * Handled first, then ACKed: the 'event' listeners record the event before they return, so a
   * crash before the ACK leaves the event with the lock, which sends it again. A listener that
   * throws (the store could not write it) leaves it un-ACKed too: the lock re-sends it (every
   * 1 s, 5 times) and it is handled then.
   */
  private receiveEvent(frame: Frame): void {
    const event = decodeEvent(frame.type, frame.payload);
    if (event === null) return; // a frame we can't read is dropped, and never answered
    // The lock re-sends an event whose ACK it missed: ACKed again, handled once.
    if (this.lastEvent !== null && sameFrame(this.lastEvent, frame)) {
      this.acknowledge(frame);
      return;
    }
    if (!this.acceptEvent(event)) return;
    try {
      this.emit('event', event);
    } catch (error) {
      this.emit('event_failed', event, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.lastEvent = frame;
    this.acknowledge(frame);
  }

  private acknowledge(event: Frame): void {
    this.send?.(encodeFrame({ seq: event.seq, type: Type.ACK, payload: Buffer.alloc(0) }));
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
