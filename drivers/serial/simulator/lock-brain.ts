// What a lockwire lock does with each request: pure and synchronous over a LockModel, so the
// simulator around it only deals with bytes, timing and faults. Refusals are NAKs carrying the
// LockModel's DriverError kind, as the lock firmware would send them.
import { DriverError } from '../../driver.ts';
import { LockModel, type LockModelOptions } from '../../simulated/lock-model.ts';
import { MAX_PAYLOAD } from '../lockwire/frame.ts';
import {
  type DOOR_STATES,
  FLAG_CAN_READ_CODES,
  FLAG_HAS_CLOCK,
  FLAG_SUPPORTS_SCHEDULES,
  type LOCK_STATES,
  type LockEvent,
  type NakError,
  type Request,
  type Response,
  type SlotRecord,
} from '../lockwire/messages.ts';
import { recordSize } from '../lockwire/responses.ts';

export interface LockBrainOptions extends LockModelOptions {
  firmware?: string;
  /** Accepts SET_CLOCK (INFO flag has_clock). */
  has_clock?: boolean;
}

export interface Outcome {
  response: Response;
  /** Events the request caused (a LOCK reports the new lock state). */
  events: LockEvent[];
}

const nak = (error: NakError, other_slot: number | null = null): Outcome => ({
  response: { type: 'nak', error, other_slot },
  events: [],
});
const ack: Outcome = { response: { type: 'ack' }, events: [] };

export class LockBrain {
  readonly model: LockModel;
  readonly firmware: string;
  readonly hasClock: boolean;
  lockState: (typeof LOCK_STATES)[number] = 'locked';
  door: (typeof DOOR_STATES)[number] = 'closed';
  /** 0..100 */
  battery = 100;
  /** Lock time minus host time, ms; null until SET_CLOCK (and again after a reboot). */
  clockOffset: number | null = null;

  constructor(options: LockBrainOptions) {
    this.model = new LockModel(options);
    this.firmware = options.firmware ?? '1.0.0';
    this.hasClock = options.has_clock ?? false;
  }

  /** The lock's own idea of now (epoch ms). */
  now(): number {
    return Date.now() + (this.clockOffset ?? 0);
  }

  answer(request: Request): Outcome {
    try {
      return this.act(request);
    } catch (error) {
      if (!(error instanceof DriverError)) throw error;
      if (error.kind === 'duplicate_code') return nak('duplicate_code', error.other_slot);
      if (error.kind === 'bad_slot' || error.kind === 'bad_code' || error.kind === 'unsupported') {
        return nak(error.kind);
      }
      return nak('storage_error');
    }
  }

  record(slot: number): SlotRecord {
    const s = this.model.slot(slot);
    const schedule = s.schedule;
    return {
      slot,
      state: s.state,
      origin: s.state === 'empty' ? 'host' : s.origin,
      code: s.state !== 'empty' && this.model.options.can_read_codes ? (s.code ?? '') : '',
      starts_at: schedule ? Math.floor(schedule.starts_at / 1000) : 0,
      ends_at: schedule ? Math.floor(schedule.ends_at / 1000) : 0,
    };
  }

  private act(request: Request): Outcome {
    switch (request.type) {
      case 'get_info':
        return { response: { type: 'info', info: this.info() }, events: [] };
      case 'read_slot':
        return { response: { type: 'slot', record: this.record(request.slot) }, events: [] };
      case 'read_slots':
        return this.readSlots(request.first, request.count);
      case 'write_slot':
        return this.write(request);
      case 'clear_slot':
        this.model.clear(request.slot, 'host');
        return ack;
      case 'lock':
      case 'unlock':
        this.lockState = request.type === 'lock' ? 'locked' : 'unlocked';
        return {
          ...ack,
          events: [{ type: 'lock_state', lock_state: this.lockState, source: 'host', slot: 0 }],
        };
      case 'get_status':
        return {
          response: { type: 'status', lock_state: this.lockState, door: this.door, battery: this.battery },
          events: [],
        };
      case 'set_clock':
        if (!this.hasClock) return nak('unsupported');
        this.clockOffset = request.now * 1000 - Date.now();
        return ack;
    }
  }

  private info() {
    const o = this.model.options;
    const flags =
      (o.can_read_codes ? FLAG_CAN_READ_CODES : 0) |
      (o.supports_native_scheduling ? FLAG_SUPPORTS_SCHEDULES : 0) |
      (this.hasClock ? FLAG_HAS_CLOCK : 0);
    return {
      protocol: 1,
      slot_count: o.slots,
      min_len: o.min_code_length,
      max_len: o.max_code_length,
      flags,
      firmware: this.firmware,
      serial_number: o.serial_number,
    };
  }

  /** As many records as asked that fit in one payload: long codes with schedules fit fewer than 16. */
  private readSlots(first: number, count: number): Outcome {
    if (first < 1 || first > this.model.options.slots) return nak('bad_slot');
    const records: SlotRecord[] = [];
    let size = 1;
    for (let slot = first; slot < first + count && slot <= this.model.options.slots; slot++) {
      const record = this.record(slot);
      if (size + recordSize(record) > MAX_PAYLOAD) break;
      size += recordSize(record);
      records.push(record);
    }
    return { response: { type: 'slots', records }, events: [] };
  }

  private write(request: Extract<Request, { type: 'write_slot' }>): Outcome {
    const { starts_at, ends_at } = request;
    if ((starts_at === 0) !== (ends_at === 0)) return nak('bad_request');
    const schedule = starts_at === 0 ? null : { starts_at: starts_at * 1000, ends_at: ends_at * 1000 };
    this.model.write(request.slot, request.code, schedule, 'host');
    return ack;
  }
}
