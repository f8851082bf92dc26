// One Zigbee lock behind the LockHandle interface. It lives as long as the driver and keeps its
// identity (zigbee:<IEEE address>) while the coordinator, the network and the lock itself come and
// go: it is reachable while a running Controller knows the device, online while the lock answers.
// Commands are Door Lock frames (door-lock-cluster.ts), one at a time (lock-radio.ts), each answer
// checked; what the lock says unprompted (notifications, attribute reports) becomes LockEvents.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { TimeWindow } from '../../src/core/access-code.ts';
import {
  DriverError,
  type DriverErrorKind,
  type LockCapabilities,
  type LockEvents,
  type LockHandle,
  type ReadPolicy,
  type SlotRange,
  type SlotReading,
} from '../driver.ts';
import type { LockProfile } from './adoption.ts';
import { BoltReports } from './bolt-reports.ts';
import {
  batteryLevel,
  doorStateOf,
  lockStateOf,
  type OperationEvent,
  operationOf,
  type PinCodeAnswer,
  type ProgrammingEvent,
  pinBytes,
  programmingOf,
  readingOfPinCode,
  SetPinStatus,
  type UserNumbering,
  UserStatus,
  UserType,
  userIdOf,
} from './door-lock-cluster.ts';
import { type ControllerEvents, Zcl } from './herdsman.ts';
import { type CommandAnswer, LockRadio, type RadioTarget } from './lock-radio.ts';
import type { LockQuirks } from './quirks.ts';
import { type ProbeTimings, SilenceProber } from './silence-prober.ts';
import { decodeDoorLockFrame } from './zcl-decode.ts';
import { fromZigbeeLocal, lockWindow, zigbeeWindow } from './zigbee-time.ts';

export interface ZigbeeLockTimings extends ProbeTimings {
  /** The wait for a lock's answer (its poll interval is added for a sleepy lock). */
  response_timeout_ms: number;
  /** How long a lockState report waits for the operation event that says who moved the bolt. */
  report_settle_ms: number;
  /** A programming event over the air this soon after the bridge's own change of that slot is its echo. */
  echo_window_ms: number;
}

export interface LockInfo {
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
}

const REFUSALS: Record<number, { kind: DriverErrorKind; says: string }> = {
  [Zcl.Status.UNSUP_COMMAND]: { kind: 'unsupported', says: 'the lock does not support this command' },
  [Zcl.Status.UNSUPPORTED_CLUSTER]: { kind: 'unsupported', says: 'the lock does not support this command' },
  [Zcl.Status.NOT_AUTHORIZED]: { kind: 'unsupported', says: 'the lock does not allow this over the network' },
  [Zcl.Status.INVALID_FIELD]: { kind: 'bad_slot', says: 'the lock has no such user' },
  [Zcl.Status.INVALID_VALUE]: { kind: 'bad_slot', says: 'the lock has no such user' },
  [Zcl.Status.INSUFFICIENT_SPACE]: { kind: 'no_space', says: 'the lock has no room for the code' },
  [Zcl.Status.DUPLICATE_EXISTS]: { kind: 'duplicate_code', says: 'the code is already in another slot' },
};

export class ZigbeeLock extends EventEmitter<LockEvents> implements LockHandle {
  readonly driver = 'zigbee' as const;
  readonly identity: string;
  readonly readPolicy: ReadPolicy;
  readonly radio: LockRadio;
  private profile: LockProfile | null = null;
  private info: LockInfo = { manufacturer: null, model: null, firmware: null };
  /** The lock answered since it was last reached (or last fell silent). */
  private answering = false;
  private removed = false;
  /** The lock has been online since this handle was made (this run of the bridge). */
  private wasOnline = false;
  private readonly prober: SilenceProber;
  private wrongInRow = 0;
  /** When the bridge last set or cleared each slot (its own change comes back as an RF programming event). */
  private readonly changedAt = new Map<number, number>();
  private readonly bolt: BoltReports;

  constructor(
    readonly ieee: string,
    readonly name: string,
    private quirks: LockQuirks,
    chunk: number,
    private readonly timings: ZigbeeLockTimings,
    private readonly log: Logger,
    /** Called when the bridge learns something new about the lock (masked PINs), to keep it. */
    private readonly keepProfile: (profile: LockProfile) => void,
  ) {
    super();
    this.identity = `zigbee:${ieee}`;
    this.readPolicy = { mode: 'targeted', chunk };
    this.radio = new LockRadio(log);
    this.prober = new SilenceProber(
      () => this.radio.exclusive(() => this.stillAnswers()),
      () => !this.removed && this.radio.target !== null && !this.answering,
      () => this.answered(),
      timings,
      log,
    );
    this.bolt = new BoltReports(
      (state, source, slot) => this.emit('lock_state', state, source, slot),
      timings.report_settle_ms,
    );
  }

  get capabilities(): LockCapabilities | null {
    const p = this.profile;
    if (!p) return null;
    return {
      slot_count: p.slot_count,
      min_code_length: p.min_pin,
      max_code_length: p.max_pin,
      can_read_codes: p.can_read_codes,
      supports_native_scheduling: p.year_day_schedules > 0,
      manufacturer: this.info.manufacturer,
      model: this.info.model,
      serial_number: this.ieee,
      firmware: this.info.firmware,
    };
  }

  get online(): boolean {
    return this.answering && this.radio.target !== null && this.profile !== null;
  }

  /** Online at some time in this run (a lock that joins again is then read where codes are). */
  get seenOnline(): boolean {
    return this.wasOnline;
  }

  // --- LockHandle commands. ---

  async readSlots(range?: SlotRange): Promise<SlotReading[]> {
    const { caps } = this.reach('read the slots');
    const first = range?.first ?? 1;
    const last = Math.min(caps.slot_count, range ? range.first + range.count - 1 : caps.slot_count);
    const readings: SlotReading[] = [];
    // One getPinCode a slot, each its own turn: a probe or a notification's read may come between.
    for (let slot = first; slot <= last; slot++)
      readings.push(await this.radio.exclusive(() => this.readOne(slot)));
    return readings;
  }

  async readSlot(slot: number): Promise<SlotReading> {
    this.checkSlot(slot, this.reach(`read slot ${slot}`).caps);
    return this.radio.exclusive(() => this.readOne(slot));
  }

  async writeSlot(slot: number, code: string, schedule: TimeWindow | null): Promise<void> {
    const { caps } = this.reach(`write slot ${slot}`);
    this.checkSlot(slot, caps);
    if (schedule !== null && !caps.supports_native_scheduling)
      throw new DriverError('unsupported', 'this lock keeps no year-day schedules');
    if (!/^\d+$/.test(code) || code.length < caps.min_code_length || code.length > caps.max_code_length) {
      throw new DriverError(
        'bad_code',
        `a code for this lock is ${caps.min_code_length} to ${caps.max_code_length} digits`,
      );
    }
    const window = schedule === null ? null : zigbeeWindow(schedule);
    if (schedule !== null && window === null)
      throw new DriverError('unsupported', 'the schedule does not fit Zigbee local time (2000 to 2136)');
    const what = `writing slot ${slot}`;
    await this.radio.exclusive(async () => {
      const userid = this.userId(slot);
      this.changedAt.set(slot, Date.now());
      // A scheduled code goes in as a year-day user first: such a user opens the door only within
      // a schedule, and it has none until the second command. Should that fail, the code is there
      // but never usable: never outside its window.
      const set = await this.ask('setPinCode', what, 'change', {
        userid,
        userstatus: UserStatus.enabled,
        usertype: window ? UserType.year_day : UserType.unrestricted,
        pincodevalue: pinBytes(code),
      });
      await this.setStatus(set.status as number, slot, code, what);
      if (window) await this.setSchedule(slot, userid, window, what);
      if (this.quirks.read_back)
        await this.readBack(slot, code, schedule === null ? null : lockWindow(schedule), what);
    });
  }

  async clearSlot(slot: number): Promise<void> {
    this.checkSlot(slot, this.reach(`clear slot ${slot}`).caps);
    const what = `clearing slot ${slot}`;
    await this.radio.exclusive(async () => {
      this.changedAt.set(slot, Date.now());
      const cleared = await this.ask('clearPinCode', what, 'change', { userid: this.userId(slot) });
      // Some locks answer "failure" for a user that was empty: what counts is that it is empty now.
      if (cleared.status !== 0 || this.quirks.read_back) {
        const now = await this.readOne(slot);
        if (now.state !== 'empty')
          throw new DriverError(
            'storage_error',
            `${what}: the lock still holds a code there (status ${String(cleared.status)})`,
          );
      }
    });
  }

  async lock(): Promise<void> {
    await this.door('lockDoor', 'locked');
  }

  async unlock(): Promise<void> {
    await this.door('unlockDoor', 'unlocked');
  }

  normalizeSchedule(schedule: TimeWindow): TimeWindow {
    return lockWindow(schedule);
  }

  // --- The driver's side. ---

  /** What the Basic cluster says (manufacturer, model, firmware). */
  describe(info: LockInfo, quirks: LockQuirks): void {
    this.info = info;
    this.quirks = quirks;
  }

  /**
   * The lock is reachable through this Controller with this profile. `answering`: it just talked
   * to us (adoption); otherwise it is probed first.
   */
  reachable(target: RadioTarget, profile: LockProfile, answering: boolean): void {
    this.removed = false;
    this.radio.target = target;
    this.profile = profile;
    this.radio.timeoutMs = this.timings.response_timeout_ms + profile.poll_ms;
    if (answering) this.answered();
    else if (!this.answering) void this.prober.now();
  }

  /** The Controller is gone (the coordinator was lost, or the driver stops). */
  unreachable(reason: string): void {
    this.prober.stop();
    const was = this.online;
    this.radio.target = null;
    this.answering = false;
    if (was) this.emit('offline', reason);
  }

  /** The lock left the network or was removed from it. */
  leftNetwork(reason: string): void {
    if (this.removed) return;
    this.unreachable(reason);
    this.removed = true;
    this.emit('removed', reason);
  }

  /** A frame came from the lock: it is there. */
  heard(): void {
    if (!this.removed && this.radio.target !== null && !this.answering) this.answered();
  }

  /** The lock announced itself: it restarted or rejoined, with its users as they were. */
  announced(): void {
    if (this.removed || this.radio.target === null) return;
    this.heard();
    if (this.online) this.emit('rebooted', false);
  }

  /** A message herdsman decoded from this lock. */
  message(message: ControllerEvents.MessagePayload): void {
    this.heard();
    const data = message.data as Record<string, unknown>;
    // The Door Lock cluster of the lock's endpoint; the battery from whichever endpoint has it.
    if (message.cluster === 'closuresDoorLock' && message.endpoint.ID === this.profile?.endpoint) {
      if (message.type === 'attributeReport' || message.type === 'readResponse') {
        const state = lockStateOf(data.lockState);
        if (state) this.bolt.attribute(state);
        if (data.doorState !== undefined) this.emit('door_state', doorStateOf(data.doorState));
      } else if (message.type === 'commandOperationEventNotification') {
        this.operation(data as unknown as OperationEvent);
      } else if (message.type === 'commandProgrammingEventNotification') {
        this.programming(data as unknown as ProgrammingEvent);
      } else if (message.type === 'raw') {
        this.rawFrame(message.meta.rawData);
      }
    } else if (message.cluster === 'genPowerCfg' && data.batteryPercentageRemaining !== undefined) {
      const level = batteryLevel(data.batteryPercentageRemaining, this.quirks.battery_units);
      if (level !== null) this.emit('battery', level);
    }
  }

  stop(): void {
    this.prober.stop();
    this.bolt.stop();
  }

  // --- Internals. ---

  private numbering(): UserNumbering {
    return { base: this.quirks.user_id_base, slot_count: this.profile?.slot_count ?? 0 };
  }

  private userId(slot: number): number {
    return userIdOf(slot, this.numbering());
  }

  /** getPinCode, and for a year-day user its schedule (the caller holds the turn). */
  private async readOne(slot: number): Promise<SlotReading> {
    const userid = this.userId(slot);
    const what = `reading slot ${slot}`;
    const answer = (await this.ask(
      'getPinCode',
      what,
      'read',
      { userid },
      userid,
    )) as unknown as PinCodeAnswer;
    const readsCodes = this.profile?.can_read_codes ?? false;
    const { reading, masked } = readingOfPinCode(slot, answer, readsCodes);
    if (masked && readsCodes) this.learnMaskedPins();
    if (
      reading.state !== 'empty' &&
      answer.usertype === UserType.year_day &&
      (this.profile?.year_day_schedules ?? 0) > 0
    ) {
      reading.schedule = await this.readSchedule(userid, what);
    }
    return reading;
  }

  private async readSchedule(userid: number, what: string): Promise<TimeWindow | null> {
    const answer = await this.ask('getYearDaySchedule', what, 'read', { scheduleid: 0, userid }, userid);
    // "Not found" (0x8B), strictly without the times, or with them zeroed.
    if (answer.status !== 0 || typeof answer.zigbeelocalstarttime !== 'number') return null;
    const start = answer.zigbeelocalstarttime;
    const end = answer.zigbeelocalendtime as number;
    return { starts_at: fromZigbeeLocal(start), ends_at: fromZigbeeLocal(end) };
  }

  private async setStatus(status: number, slot: number, code: string, what: string): Promise<void> {
    if (status === SetPinStatus.ok) return;
    if (status === SetPinStatus.memory_full)
      throw new DriverError('no_space', `${what}: the lock's memory is full`);
    if (status === SetPinStatus.duplicate) {
      // A retried write finds its own code there: that is no duplicate.
      if (this.profile?.can_read_codes && (await this.readOne(slot)).code === code) return;
      throw new DriverError('duplicate_code', `${what}: the code is already in another slot`);
    }
    throw new DriverError('storage_error', `${what}: the lock refused without a reason (status ${status})`);
  }

  private async setSchedule(
    slot: number,
    userid: number,
    window: { start: number; end: number },
    what: string,
  ) {
    const answer = await this.ask('setYearDaySchedule', what, 'change', {
      scheduleid: 0,
      userid,
      zigbeelocalstarttime: window.start,
      zigbeelocalendtime: window.end,
    }).catch(async (error: unknown) => {
      if (error instanceof DriverError && error.permanent) await this.takeBack(slot, userid);
      throw error;
    });
    if (answer.status === 0) return;
    await this.takeBack(slot, userid);
    throw new DriverError(
      'unsupported',
      `${what}: the lock refused the schedule (status ${String(answer.status)}); the code was taken off again`,
    );
  }

  /** A code whose schedule the lock refused comes off again (best effort: unusable either way). */
  private async takeBack(slot: number, userid: number): Promise<void> {
    await this.ask('clearPinCode', `clearing slot ${slot}`, 'change', { userid }).catch(() => undefined);
  }

  private async readBack(
    slot: number,
    code: string,
    schedule: TimeWindow | null,
    what: string,
  ): Promise<void> {
    const reading = await this.readOne(slot);
    const schedules = (this.profile?.year_day_schedules ?? 0) > 0;
    const holds =
      reading.state === 'enabled' &&
      (reading.code === null || reading.code === code) &&
      (!schedules ||
        schedule === null ||
        (reading.schedule?.starts_at === schedule.starts_at &&
          reading.schedule?.ends_at === schedule.ends_at));
    if (!holds)
      throw new DriverError(
        'storage_error',
        `${what}: the lock said yes, but reading it back shows otherwise`,
      );
  }

  private async door(command: 'lockDoor' | 'unlockDoor', state: 'locked' | 'unlocked'): Promise<void> {
    const what = command === 'lockDoor' ? 'locking' : 'unlocking';
    this.reach(what);
    await this.radio.exclusive(async () => {
      const answer = await this.ask(command, what, 'change', { pincodevalue: Buffer.alloc(0) });
      if (answer.status !== 0)
        throw new DriverError('busy', `${what}: the lock refused (status ${String(answer.status)})`);
    });
    this.bolt.host(state);
  }

  /**
   * One command and its answer. No fitting answer: the lock is probed once (within this turn)
   * to tell a lost answer from a lock that went away, and the command fails with 'timeout' (a
   * read) or 'outcome_unknown' (a change, which may have happened).
   */
  private async ask(
    command: string,
    what: string,
    kind: 'read' | 'change',
    payload: Record<string, unknown>,
    userid?: number,
  ): Promise<Record<string, unknown>> {
    if (!this.online) throw new DriverError('offline', `lock ${this.name} is offline; ${what} was not sent`);
    const answer: CommandAnswer = await this.radio.command(command, payload, userid);
    if (answer.kind === 'answer') {
      this.answered();
      return answer.payload;
    }
    if (answer.kind === 'refused') {
      this.answered();
      const refusal = REFUSALS[answer.status] ?? {
        kind: 'storage_error',
        says: 'the lock failed to carry it out',
      };
      this.log.info({ command, kind: refusal.kind, status: answer.status }, `${what} refused`);
      throw new DriverError(
        refusal.kind,
        `${what}: ${refusal.says} (ZCL status 0x${answer.status.toString(16)})`,
      );
    }
    this.log.debug({ command, reason: answer.reason }, `${what}: no fitting answer`);
    const alive = await this.stillAnswers();
    if (!alive) this.fellSilent(`${what} went unanswered (${answer.reason})`);
    const message = `${what}: no answer from the lock (${answer.reason})`;
    throw new DriverError(kind === 'read' ? 'timeout' : 'outcome_unknown', message);
  }

  /** One read of lockState: does the lock answer at all? */
  private async stillAnswers(): Promise<boolean> {
    return (await this.radio.readAttributes('closuresDoorLock', ['lockState'])) !== null;
  }

  private answered(): void {
    this.prober.reset();
    if (this.answering || this.radio.target === null || this.profile === null) return;
    this.answering = true;
    this.wasOnline = true;
    this.emit('online', this.capabilities!);
  }

  /** No answer, and none to a probe either: offline until it answers (a frame from it ends the wait sooner). */
  private fellSilent(reason: string): void {
    if (!this.answering) return;
    this.answering = false;
    this.emit('offline', 'the lock stopped answering');
    this.prober.silent(reason);
  }

  /** An occupied user came back without its PIN: this lock does not give PINs back. */
  private learnMaskedPins(): void {
    if (!this.profile?.can_read_codes) return;
    this.profile = { ...this.profile, can_read_codes: false };
    this.keepProfile(this.profile);
    this.log.info('the lock answers occupied users without their PIN: it cannot read codes back');
    // Told after the read in progress has finished.
    setImmediate(() => {
      if (this.online) this.emit('online', this.capabilities!);
    });
  }

  private operation(event: OperationEvent): void {
    const operation = operationOf(event, this.numbering());
    switch (operation.kind) {
      case 'code_used':
        if (operation.result === 'unlocked') {
          this.wrongInRow = 0;
          this.bolt.operation('unlocked', 'keypad', operation.slot, false);
        }
        this.emit('code_used', operation.slot, operation.result);
        return;
      case 'wrong_code':
        this.wrongInRow++;
        this.emit('wrong_code', this.wrongInRow);
        return;
      case 'lock_state':
        this.bolt.operation(operation.state, operation.source, operation.slot);
        return;
      case 'none':
        return;
    }
  }

  private programming(event: ProgrammingEvent): void {
    const change = programmingOf(event, this.numbering());
    if (change.kind === 'none') return;
    if (change.kind === 'all') {
      // Every user may have changed: the slots the bridge knows are read again.
      this.emit('rebooted', false);
      return;
    }
    const ours = this.changedAt.get(change.slot);
    if (change.over_the_air && ours !== undefined && Date.now() - ours < this.timings.echo_window_ms) return;
    this.emit('slot_changed', change.slot, this.readingOf(change));
  }

  /** The event's own reading where it can be trusted; null makes the bridge read the slot. */
  private readingOf(change: Extract<ReturnType<typeof programmingOf>, { kind: 'slot' }>): SlotReading | null {
    const empty: SlotReading = {
      slot: change.slot,
      state: 'empty',
      code: null,
      origin: 'unknown',
      schedule: null,
    };
    if (change.deleted) return empty;
    const p = this.profile;
    // A lock with schedules: the event does not say whether the user has one.
    if (!p || !this.quirks.programming_event_pin || p.year_day_schedules > 0 || change.pin === null)
      return null;
    if (!/^\d+$/.test(change.pin)) return null;
    return {
      slot: change.slot,
      state: change.disabled ? 'disabled' : 'enabled',
      code: p.can_read_codes ? change.pin : null,
      origin: 'unknown',
      schedule: null,
    };
  }

  /** A notification herdsman could not decode (no trailing Data string, say): read field by field. */
  private rawFrame(bytes: Buffer): void {
    const frame = decodeDoorLockFrame(bytes);
    if (!frame?.fromLock || frame.global) return;
    if (frame.name === 'operationEventNotification')
      this.operation(frame.payload as unknown as OperationEvent);
    else if (frame.name === 'programmingEventNotification')
      this.programming(frame.payload as unknown as ProgrammingEvent);
  }

  private reach(what: string): { caps: LockCapabilities } {
    const caps = this.capabilities;
    if (!this.online || caps === null)
      throw new DriverError('offline', `lock ${this.name} is offline; cannot ${what}`);
    return { caps };
  }

  private checkSlot(slot: number, caps: LockCapabilities): void {
    if (!Number.isInteger(slot) || slot < 1 || slot > caps.slot_count) {
      throw new DriverError(
        'bad_slot',
        `slot ${slot} is not one of this lock's slots (1..${caps.slot_count})`,
      );
    }
  }
}
