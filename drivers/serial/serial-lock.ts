// One lockwire lock behind the LockHandle interface. It lives as long as the driver and keeps its
// identity (the lock's serial number) while the port it is reached through comes and goes: a
// session is attached while the lock answers, and every command without one fails with 'offline'.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { TimeWindow } from '../../src/core/access-code.ts';
import {
  DriverError,
  type LockActionSource,
  type LockCapabilities,
  type LockEvents,
  type LockHandle,
  type ReadPolicy,
  type SlotRange,
  type SlotReading,
} from '../driver.ts';
import { type LockEvent, MAX_READ_SLOTS, type Request, type Response } from './lockwire/messages.ts';
import { nakError, normalizedWindow, readingOf, wireWindow } from './translate.ts';

/** How a lock handle reaches its lock: requests whose failures are already DriverErrors. */
export interface LockSession {
  request(request: Request, what: string): Promise<Response>;
}

const SOURCES: Record<string, LockActionSource> = {
  keypad: 'keypad',
  manual: 'manual',
  host: 'host',
  automatic: 'automatic',
};

export class SerialLock extends EventEmitter<LockEvents> implements LockHandle {
  readonly driver = 'serial' as const;
  /** READ_SLOTS reads 16 slots a request, and a lock away from the port can't report what changed. */
  readonly readPolicy: ReadPolicy = { mode: 'full', chunk: 0xffff };
  private session: LockSession | null = null;
  private caps: LockCapabilities | null = null;
  /**
   * Slots per READ_SLOTS this lock answers; 0: none, so slots are read one by one with READ_SLOT.
   * Starts at 16 and halves when a READ_SLOTS goes unanswered while the lock answers GET_INFO (its
   * firmware can't send the answer, say a SLOTS frame past 245 bytes). Kept for the lock's life,
   * through reconnects and reboots (the firmware is the same, and every step down costs a round of
   * re-sends); back to 16 only when INFO reports another firmware.
   */
  private batch = MAX_READ_SLOTS;
  /** The largest READ_SLOTS that went unanswered, until a smaller read works and it is logged. */
  private unansweredBatch: number | null = null;
  private fallbackLogged = false;

  constructor(
    readonly identity: string,
    readonly name: string,
    private readonly log: Logger,
  ) {
    super();
  }

  get capabilities(): LockCapabilities | null {
    return this.caps;
  }

  get online(): boolean {
    return this.session !== null;
  }

  // --- LockHandle commands. ---

  async readSlots(range?: SlotRange): Promise<SlotReading[]> {
    const { session, caps } = this.reach('read the slots');
    const readings: SlotReading[] = [];
    let first = range?.first ?? 1;
    const last = Math.min(caps.slot_count, range ? range.first + range.count - 1 : caps.slot_count);
    while (first <= last) {
      if (this.batch === 0) {
        readings.push(await this.readOne(session, caps, first));
        this.fallbackWorks();
        first++;
        continue;
      }
      const count = Math.min(this.batch, last - first + 1);
      const what = `reading slots ${first}..${first + count - 1}`;
      let response: Response;
      try {
        response = await session.request({ type: 'read_slots', first, count }, what);
      } catch (error) {
        // Unanswered while the lock still answers (it is online only if GET_INFO just answered):
        // ask the same slots again, fewer at a time. Offline, or a NAK, is the caller's to handle.
        if (!(error instanceof DriverError && error.kind === 'timeout' && this.session === session))
          throw error;
        this.shrink(count);
        continue;
      }
      if (response.type === 'nak') throw nakError(what, response.error, response.other_slot);
      if (response.type !== 'slots') throw this.unexpected(what);
      // A lock may send fewer records than asked (a payload holds 240 bytes), never others.
      const records = response.records;
      if (records.length === 0 || records.some((r, i) => r.slot !== first + i)) throw this.unexpected(what);
      for (const record of records) readings.push(readingOf(record, caps));
      this.fallbackWorks();
      first += records.length;
    }
    return readings;
  }

  async readSlot(slot: number): Promise<SlotReading> {
    const { session, caps } = this.reach(`read slot ${slot}`);
    checkSlot(slot);
    return this.readOne(session, caps, slot);
  }

  async writeSlot(slot: number, code: string, schedule: TimeWindow | null): Promise<void> {
    const { session, caps } = this.reach(`write slot ${slot}`);
    checkSlot(slot);
    if (schedule !== null && !caps.supports_native_scheduling) {
      throw new DriverError('unsupported', 'this lock cannot keep a schedule with a code');
    }
    // Only what the wire cannot carry is refused here; lengths and digits are the lock's to judge.
    if (!/^[\x20-\x7e]{1,255}$/.test(code)) throw new DriverError('bad_code', 'a code must be ASCII digits');
    const request: Request = { type: 'write_slot', slot, code, ...wireWindow(schedule) };
    await this.command(session, request, `writing slot ${slot}`);
  }

  async clearSlot(slot: number): Promise<void> {
    const { session } = this.reach(`clear slot ${slot}`);
    checkSlot(slot);
    await this.command(session, { type: 'clear_slot', slot }, `clearing slot ${slot}`);
  }

  async lock(): Promise<void> {
    await this.command(this.reach('lock').session, { type: 'lock' }, 'locking');
  }

  async unlock(): Promise<void> {
    await this.command(this.reach('unlock').session, { type: 'unlock' }, 'unlocking');
  }

  normalizeSchedule(schedule: TimeWindow): TimeWindow {
    return normalizedWindow(schedule);
  }

  // --- The connection's side. ---

  /** The lock answered GET_INFO: online with these capabilities. */
  attach(session: LockSession, caps: LockCapabilities): void {
    this.session = session;
    this.adoptCapabilities(caps);
    this.emit('online', caps);
  }

  /** The lock stopped answering through this session (a later session may have replaced it). */
  detach(session: LockSession, reason: string): void {
    if (this.session !== session) return;
    this.session = null;
    this.emit('offline', reason);
  }

  /** Capabilities read again after a boot; slots are now to be read again by whoever listens. */
  rebooted(caps: LockCapabilities, factoryReset: boolean): void {
    this.adoptCapabilities(caps);
    this.emit('rebooted', factoryReset);
  }

  status(response: Extract<Response, { type: 'status' }>): void {
    this.emit('lock_state', response.lock_state, 'unknown', null);
    this.emit('door_state', response.door);
    if (response.battery !== null) this.emit('battery', response.battery / 100);
  }

  lockEvent(event: LockEvent): void {
    switch (event.type) {
      case 'code_used':
        this.emit('code_used', event.slot, event.result);
        return;
      case 'wrong_code':
        this.emit('wrong_code', event.attempts);
        return;
      case 'lock_state':
        this.emit('lock_state', event.lock_state, SOURCES[event.source] ?? 'unknown', event.slot || null);
        return;
      case 'battery':
        if (event.level <= 100) this.emit('battery', event.level / 100);
        return;
      case 'slot_changed':
        void this.slotChanged(event.slot);
        return;
      case 'boot':
        return; // the connection handles boots: it must read INFO again first
    }
  }

  // --- Internals. ---

  private async readOne(session: LockSession, caps: LockCapabilities, slot: number): Promise<SlotReading> {
    const what = `reading slot ${slot}`;
    const response = await session.request({ type: 'read_slot', slot }, what);
    if (response.type === 'nak') throw nakError(what, response.error, response.other_slot);
    if (response.type !== 'slot' || response.record.slot !== slot) throw this.unexpected(what);
    return readingOf(response.record, caps);
  }

  /** A READ_SLOTS of `count` slots went unanswered: half as many (16, 8, 4, 2, 1), then READ_SLOT. */
  private shrink(count: number): void {
    let batch = count > 1 ? MAX_READ_SLOTS : 0;
    while (batch >= count) batch /= 2;
    this.batch = Math.min(this.batch, batch);
    this.unansweredBatch = Math.max(this.unansweredBatch ?? 0, count);
    this.log.debug({ slots: count, batch: this.batch }, 'READ_SLOTS went unanswered; asking for fewer slots');
  }

  /** A read at the smaller batch worked: said once per lock (at warn), not on every read. */
  private fallbackWorks(): void {
    if (this.unansweredBatch === null) return;
    const how =
      this.batch === 0 ? 'reading slots one by one with READ_SLOT' : `reading ${this.batch} at a time`;
    const message = `the lock does not answer READ_SLOTS of ${this.unansweredBatch} slots; ${how}`;
    const fields = { unanswered: this.unansweredBatch, batch: this.batch };
    // A later step down (longer codes make bigger frames) is news, but not a new condition.
    if (this.fallbackLogged) this.log.info(fields, message);
    else this.log.warn(fields, message);
    this.fallbackLogged = true;
    this.unansweredBatch = null;
  }

  /** Another firmware may answer READ_SLOTS of 16 slots: the fallback starts over. */
  private adoptCapabilities(caps: LockCapabilities): void {
    if (this.caps !== null && this.caps.firmware !== caps.firmware) {
      this.batch = MAX_READ_SLOTS;
      this.unansweredBatch = null;
      this.fallbackLogged = false;
    }
    this.caps = caps;
  }

  private async slotChanged(slot: number): Promise<void> {
    const reading = await this.readSlot(slot).catch((error: unknown) => {
      this.log.warn({ slot, err: (error as Error).message }, 'reading a slot changed at the lock failed');
      return null;
    });
    // Without a reading the listener reads every slot, which is slower but just as right.
    this.emit('slot_changed', slot, reading);
  }

  /** A request that changes the lock: no answer means it may or may not have happened. */
  private async command(session: LockSession, request: Request, what: string): Promise<void> {
    const response = await session.request(request, what).catch((error: unknown) => {
      if (error instanceof DriverError && error.kind === 'timeout') {
        throw new DriverError('outcome_unknown', error.message);
      }
      throw error;
    });
    if (response.type === 'ack') return;
    if (response.type === 'nak') {
      const error = nakError(what, response.error, response.other_slot);
      this.log.info({ lock: this.name, kind: error.kind, other_slot: error.other_slot }, `${what} refused`);
      throw error;
    }
    throw this.unexpected(what);
  }

  private reach(what: string): { session: LockSession; caps: LockCapabilities } {
    if (this.session === null || this.caps === null) {
      throw new DriverError('offline', `lock ${this.name} is offline; cannot ${what}`);
    }
    return { session: this.session, caps: this.caps };
  }

  private unexpected(what: string): DriverError {
    return new DriverError('timeout', `${what}: the lock's answer did not fit the request`);
  }
}

/** What the wire can't carry is refused here (a u16 from 1); beyond slot_count the lock answers bad_slot. */
function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 1 || slot > 0xffff) {
    throw new DriverError('bad_slot', `slot ${slot} is not a slot number (1..65535)`);
  }
}
