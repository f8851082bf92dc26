// A lockwire lock on a serial port (a pseudo-terminal in the tests and the demo): the LockBrain's
// answers on the wire, re-sent from memory for a duplicate SEQ as the spec demands, events sent
// with the lock's own SEQ and re-sent until ACKed, and the faults of SimFaults.
import { EventEmitter } from 'node:events';
import { SerialPort, SlipEncoder } from 'serialport';
import type { DoorState } from '../../driver.ts';
import { crc16 } from '../lockwire/crc.ts';
import { encodeEvent } from '../lockwire/events.ts';
import { type Frame, MAX_PAYLOAD, PROTOCOL_VERSION, sameFrame } from '../lockwire/frame.ts';
import type { LockEvent, Request, SlotRecord } from '../lockwire/messages.ts';
import { Type } from '../lockwire/messages.ts';
import { decodeRequest } from '../lockwire/requests.ts';
import { encodeResponse } from '../lockwire/responses.ts';
import { encodeFrame, FrameDecoder } from '../lockwire/slip.ts';
import { MalformedPayload } from '../lockwire/wire.ts';
import { LockBrain, type LockBrainOptions } from './lock-brain.ts';
import { SimFaults } from './sim-faults.ts';

export interface LockSimulatorOptions extends LockBrainOptions {
  baud_rate?: number;
  /** Spec: an unacknowledged event is re-sent every 1 s ... */
  event_resend_ms?: number;
  /** ... at most 5 times. */
  event_resends?: number;
}

interface OutgoingEvent {
  seq: number;
  wire: Buffer;
  sends: number;
}

export interface LockSimulatorEvents {
  /** A request the lock carried out (not a re-send answered from memory). */
  executed: [Request];
  /** A frame the lock received: requests, re-sends and ACKs alike. */
  received: [Frame];
}

export class LockSimulator extends EventEmitter<LockSimulatorEvents> {
  readonly brain: LockBrain;
  readonly faults = new SimFaults();
  private port: SerialPort | null = null;
  private lastRequest: Frame | null = null;
  private lastResponse: Buffer | null = null;
  private eventSeq = randomSeq();
  private readonly outbox: OutgoingEvent[] = [];
  private eventTimer: NodeJS.Timeout | null = null;
  private wrongAttempts = 0;

  constructor(private readonly options: LockSimulatorOptions) {
    super();
    this.brain = new LockBrain(options);
  }

  get model() {
    return this.brain.model;
  }

  /** Events sent and not yet ACKed. */
  get unacknowledgedEvents(): number {
    return this.outbox.length;
  }

  async open(path: string): Promise<void> {
    const port = new SerialPort({ path, baudRate: this.options.baud_rate ?? 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    const decoder = new FrameDecoder();
    port.pipe(decoder);
    decoder.on('data', (frame: Frame) => this.receive(frame));
    port.on('error', () => undefined); // the other end vanishing is the tests' business
    port.once('close', () => {
      if (this.port === port) this.port = null;
    });
    this.port = port;
    this.sendNextEvent();
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (this.eventTimer !== null) clearTimeout(this.eventTimer);
    this.eventTimer = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /** Garbage on the line now, between frames. */
  noise(bytes: Buffer = Buffer.from([0x00, 0xff, 0xdb, 0x13, 0x01, 0x37, 0x7e])): void {
    this.write(bytes);
  }

  // --- What people do at the lock. ---

  keypadProgram(slot: number, code: string | null): void {
    if (code === null) this.model.clear(slot, 'keypad');
    else this.model.write(slot, code, null, 'keypad');
    this.report({ type: 'slot_changed', slot });
  }

  enterCode(code: string): void {
    const attempt = this.model.tryCode(code, this.brain.now());
    if (attempt === null) {
      this.wrongAttempts = Math.min(this.wrongAttempts + 1, 255);
      this.report({ type: 'wrong_code', attempts: this.wrongAttempts });
      return;
    }
    this.wrongAttempts = 0;
    this.report({ type: 'code_used', slot: attempt.slot, result: attempt.result });
    if (attempt.result === 'unlocked') {
      this.brain.lockState = 'unlocked';
      this.report({ type: 'lock_state', lock_state: 'unlocked', source: 'keypad', slot: attempt.slot });
    }
  }

  setBattery(level: number): void {
    this.brain.battery = level;
    this.report({ type: 'battery', level });
  }

  setDoor(door: DoorState): void {
    this.brain.door = door; // lockwire has no door event: the host sees it in STATUS
  }

  /** Restarts the lock: it forgets the last request, its clock and unsent events, then reports EVT_BOOT. */
  reboot(factoryReset: boolean): void {
    if (factoryReset) this.model.factoryReset();
    this.lastRequest = null;
    this.lastResponse = null;
    this.brain.clockOffset = null;
    this.outbox.length = 0;
    // A fresh counter could repeat the SEQ and body of the previous boot's EVT_BOOT, which the
    // host would take for a re-send; real firmware should seed it too.
    this.eventSeq = randomSeq();
    this.report({ type: 'boot', reason: factoryReset ? 'factory_reset' : 'power_on' });
  }

  // --- The wire. ---

  private receive(frame: Frame): void {
    this.emit('received', frame);
    if (this.faults.silent) return;
    if (frame.type === Type.ACK) {
      this.acked(frame.seq);
      return;
    }
    if (this.lastRequest !== null && this.lastResponse !== null && sameFrame(frame, this.lastRequest)) {
      this.answer(this.lastResponse); // a re-send: answered from memory, never carried out twice
      return;
    }
    let request: Request | null;
    try {
      request = decodeRequest(frame.type, frame.payload);
    } catch (error) {
      if (!(error instanceof MalformedPayload)) throw error;
      this.respond(frame, encodeResponse({ type: 'nak', error: 'bad_request', other_slot: null }));
      return;
    }
    if (request === null) return; // not a request: a lock ignores what it does not know
    if (request.type === 'read_slots' && this.faults.ignoreReadSlots) return;
    this.respond(frame, this.execute(request, frame.seq));
  }

  private execute(request: Request, seq: number): Buffer {
    const oversize = this.faults.oversizeSlotsAbove;
    if (request.type === 'read_slots' && oversize !== null && request.count > oversize) {
      this.emit('executed', request);
      return this.oversizeSlots(seq, request.first, request.count);
    }
    const refusal =
      request.type === 'write_slot' || request.type === 'clear_slot' ? this.faults.takeRefusal() : null;
    if (refusal !== null)
      return this.wire(seq, encodeResponse({ type: 'nak', error: refusal, other_slot: null }));
    const outcome = this.brain.answer(request);
    this.emit('executed', request);
    for (const event of outcome.events) this.report(event);
    return this.wire(seq, encodeResponse(outcome.response));
  }

  private respond(request: Frame, response: Buffer | { type: number; payload: Buffer }): void {
    const wire = Buffer.isBuffer(response) ? response : this.wire(request.seq, response);
    this.lastRequest = request;
    this.lastResponse = wire;
    if (this.faults.takeLost()) return;
    this.answer(wire);
  }

  private wire(seq: number, encoded: { type: number; payload: Buffer }): Buffer {
    return encodeFrame({ seq, ...encoded });
  }

  /** A SLOTS frame as broken firmware sends it: every record asked for, and past 245 bytes. */
  private oversizeSlots(seq: number, first: number, count: number): Buffer {
    const records: SlotRecord[] = [];
    for (let slot = first; slot < first + count && slot <= this.model.options.slots; slot++) {
      records.push(this.brain.record(slot));
    }
    let { payload } = encodeResponse({ type: 'slots', records });
    if (payload.length <= MAX_PAYLOAD) {
      payload = Buffer.concat([payload, Buffer.alloc(MAX_PAYLOAD + 1 - payload.length)]);
    }
    // encodeBody refuses such a payload, as it should: the body and its CRC are built by hand.
    const body = Buffer.concat([Buffer.from([PROTOCOL_VERSION, seq, Type.SLOTS]), payload, Buffer.alloc(2)]);
    body.writeUInt16BE(crc16(body.subarray(0, body.length - 2)), body.length - 2);
    oversizeEncoder.write(body);
    return oversizeEncoder.read() as Buffer;
  }

  private answer(wire: Buffer): void {
    const send = () => this.write(wire);
    if (this.faults.delayMs > 0) setTimeout(send, this.faults.delayMs);
    else send();
  }

  private report(event: LockEvent): void {
    this.eventSeq = (this.eventSeq + 1) & 0xff;
    this.outbox.push({ seq: this.eventSeq, wire: this.wire(this.eventSeq, encodeEvent(event)), sends: 0 });
    if (this.outbox.length === 1) this.sendNextEvent();
  }

  private sendNextEvent(): void {
    if (this.eventTimer !== null || this.port === null) return;
    const head = this.outbox[0];
    if (head === undefined) return;
    if (head.sends > (this.options.event_resends ?? 5)) {
      this.outbox.shift(); // the host never answered: the lock gives up on this event
      this.sendNextEvent();
      return;
    }
    head.sends++;
    if (!this.faults.silent) this.write(head.wire);
    this.eventTimer = setTimeout(() => {
      this.eventTimer = null;
      this.sendNextEvent();
    }, this.options.event_resend_ms ?? 1000);
  }

  private acked(seq: number): void {
    if (this.outbox[0]?.seq !== seq || this.faults.takeIgnoredAck()) return;
    this.outbox.shift();
    if (this.eventTimer !== null) clearTimeout(this.eventTimer);
    this.eventTimer = null;
    this.sendNextEvent();
  }

  private write(bytes: Buffer): void {
    const port = this.port;
    if (port === null || !port.isOpen) return;
    if (this.faults.noisy) port.write(Buffer.from([0x55, 0xdb, 0x01, 0xaa, 0x00]));
    if (bytes[0] === 0xc0 && bytes.length > 3 && this.faults.takeCorrupted()) {
      const bad = Buffer.from(bytes);
      bad[bad.length - 2]! ^= 0x01; // a flipped bit in the CRC: the frame must be dropped
      port.write(bad);
      return;
    }
    port.write(bytes);
  }
}

const randomSeq = (): number => Math.floor(Math.random() * 256);

// SLIP as lockwire sends it (END before and after), for frames encodeFrame rightly refuses.
const oversizeEncoder = new SlipEncoder({ bluetoothQuirk: true });
