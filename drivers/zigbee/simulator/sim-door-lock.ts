// A simulated Zigbee door lock: a ZCL Door Lock server (and Basic, Power Configuration, Poll
// Control) that decodes the frames the coordinator carries to it with herdsman's ZCL codec and
// answers with frames encoded the same way, as a lock's firmware would. It keeps its users (PIN,
// status, type, year-day schedule), its bolt, its battery and its clock (read from the
// coordinator's Time cluster), and sends the notifications and attribute reports a real lock sends.
// Knobs make it one of the kinds the tests need: reads codes back or masks them, answers late
// (sleepy), keeps year-day schedules, numbers users from 0 or 1, answers on endpoint 1, 2 or 11.
import { Zcl } from 'zigbee-herdsman';
import type { NodeDescription, SimpleDescription } from './zdo-frames.ts';

const DOOR_LOCK = Zcl.Clusters.closuresDoorLock.ID;
const BASIC = Zcl.Clusters.genBasic.ID;
const POWER = Zcl.Clusters.genPowerCfg.ID;
const POLL_CONTROL = Zcl.Clusters.genPollCtrl.ID;
const TIME = Zcl.Clusters.genTime.ID;
const IDENTIFY = Zcl.Clusters.genIdentify.ID;
/** Zigbee time counts seconds from 2000-01-01T00:00:00Z. */
const ZIGBEE_EPOCH_MS = Date.UTC(2000, 0, 1);

export interface SimDoorLockOptions {
  ieee: string;
  manufacturer: string;
  model: string;
  manufacturer_code: number;
  firmware: string;
  /** The endpoint the Door Lock cluster lives on (Yale 1, Kwikset 2, Nimly/Onesti 11). */
  endpoint: number;
  /** numOfPinUsersSupported. */
  users: number;
  /** The first user id (ZCL locks 0; some, Nimly among them, 1). */
  first_user_id: number;
  min_pin: number;
  max_pin: number;
  /** getPinCode answers with the PIN; false: occupied users come back with an empty PIN. */
  reads_codes: boolean;
  /** numOfYearDaySchedulesSupportedPerUser; 0: no schedules. */
  year_day_schedules: number;
  /** A sleepy end device answers this late (its parent holds the frame until it polls). */
  answer_delay_ms: number;
  /** genPollCtrl's longPollInterval in quarter seconds; null: no Poll Control cluster. */
  long_poll_quarter_s: number | null;
  router: boolean;
  /** Changes made over the radio are announced with a programming event too (source RF). */
  notifies_rf_programming: boolean;
  /** Programming events carry the PIN; false: an empty PIN field. */
  programming_event_pin: boolean;
  /** Notifications end with the (optional) Data string; some firmware leaves it out. */
  notification_data_field: boolean;
  /** batteryPercentageRemaining in half percent (ZCL) or, like Nimly, in percent. */
  battery_units: 'half_percent' | 'percent';
  /** false: a device without the Door Lock cluster (a plug, a sensor): not a lock. */
  door_lock: boolean;
}

export interface SimUser {
  status: number;
  type: number;
  pin: string;
  schedule: { start: number; end: number } | null;
}

/** What the lock needs of the air: sending a ZCL frame to the coordinator. */
export interface LockAir {
  send(
    lock: SimDoorLock,
    cluster: number,
    sourceEndpoint: number,
    bytes: Buffer,
    destinationEndpoint?: number,
  ): void;
}

type DecodedFrame = ReturnType<typeof Zcl.Frame.fromBuffer>;

/** ZCL Door Lock user status and type values. */
export const USER_AVAILABLE = 0;
export const USER_ENABLED = 1;
export const USER_DISABLED = 3;
export const USER_UNRESTRICTED = 0;
export const USER_YEAR_DAY = 1;

export class SimDoorLock {
  readonly options: SimDoorLockOptions;
  /** Network address while joined; null when off the network. */
  nwk: number | null = null;
  readonly users = new Map<number, SimUser>();
  lockState = 1;
  batteryHalfPercent = 180;
  /** Out of reach: every frame to it is unacknowledged. */
  silent = false;
  /** Commands received, by name (cluster-specific) or `read:<cluster>` and the like. */
  readonly received: string[] = [];
  /** Frames that arrived, with their bytes, for checks against the specification. */
  readonly receivedFrames: { cluster: number; bytes: Buffer }[] = [];
  private readonly bound = new Set<number>();
  private readonly reporting = new Set<string>();
  private clock: { zigbee_s: number; at_ms: number; offset_s: number } | null = null;
  private tsn = 100;
  private nextTsn: number | null = null;
  private readonly dropAnswers: Set<string>[] = [];
  private readonly lostCommands: string[] = [];
  private readonly refusals: { command: string; status: number; defaultResponse: boolean }[] = [];
  /** The endpoint the frame being handled came to: its answer comes from there. */
  private answering = 0;

  constructor(
    options: Partial<SimDoorLockOptions> & Pick<SimDoorLockOptions, 'ieee'>,
    private air: LockAir | null = null,
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
  }

  attach(air: LockAir): void {
    this.air = air;
  }

  // --- What the network asks of it (ZDO). ---

  node(): NodeDescription {
    const o = this.options;
    return {
      nwk: this.nwk ?? 0xfffe,
      logical: o.router ? 'router' : 'end_device',
      manufacturer_code: o.manufacturer_code,
      rx_on_when_idle: o.router,
      mains_powered: o.router,
    };
  }

  endpoints(): SimpleDescription[] {
    const o = this.options;
    const input = [BASIC, POWER, IDENTIFY, ...(o.door_lock ? [DOOR_LOCK] : [])];
    if (o.long_poll_quarter_s !== null) input.push(POLL_CONTROL);
    const lock: SimpleDescription = {
      endpoint: o.endpoint,
      profile: 0x0104,
      device_id: 0x000a, // Door Lock
      input_clusters: input,
      output_clusters: [TIME, Zcl.Clusters.genOta.ID],
    };
    // Kwikset and Nimly have a second, unrelated endpoint before or after the lock's.
    return o.endpoint === 1
      ? [lock]
      : [{ ...lock, endpoint: 1, device_id: 0x0000, input_clusters: [BASIC], output_clusters: [] }, lock];
  }

  bind(cluster: number): void {
    this.bound.add(cluster);
  }

  unbind(cluster: number): void {
    this.bound.delete(cluster);
  }

  // --- Faults and knobs for the tests. ---

  /** The answer to the next of `commands` (setPinCode, clearPinCode ...) is lost; the lock acts all the same. */
  loseAnswer(...commands: string[]): void {
    this.dropAnswers.push(new Set(commands));
  }

  /** The next `command` is lost on its way: the lock neither acts nor answers. */
  loseCommand(command: string): void {
    this.lostCommands.push(command);
  }

  /** The next `command` is refused with this status, in its response or as a Default Response. */
  refuse(command: string, status: number, defaultResponse = false): void {
    this.refusals.push({ command, status, defaultResponse });
  }

  /** The next frame this lock sends carries this ZCL sequence number. */
  useTsn(tsn: number): void {
    this.nextTsn = tsn;
  }

  // --- The people at the door. ---

  /** A PIN typed at the keypad. */
  enterCode(pin: string): void {
    const found = [...this.users.entries()].find(([, u]) => u.status !== USER_AVAILABLE && u.pin === pin);
    if (!found) {
      this.operationEvent(0, 5, 0xffff, pin);
      return;
    }
    const [userid, user] = found;
    if (user.status === USER_DISABLED) {
      this.operationEvent(0, 5, userid, pin);
      return;
    }
    if (user.type === USER_YEAR_DAY && !this.withinSchedule(user)) {
      this.operationEvent(0, 6, userid, pin);
      return;
    }
    this.lockState = 2;
    this.operationEvent(0, 2, userid, pin);
    this.reportLockState();
  }

  /** Someone programs (pin) or deletes (null) the user behind bridge slot-numbered `userid` at the keypad. */
  keypadProgram(userid: number, pin: string | null): void {
    const existed = this.users.has(userid);
    if (pin === null) {
      this.users.delete(userid);
      this.programmingEvent(0, 3, userid, '', USER_UNRESTRICTED, USER_AVAILABLE);
      return;
    }
    this.users.set(userid, { status: USER_ENABLED, type: USER_UNRESTRICTED, pin, schedule: null });
    this.programmingEvent(0, existed ? 4 : 2, userid, pin, USER_UNRESTRICTED, USER_ENABLED);
  }

  /** The thumb turn. */
  manual(locked: boolean): void {
    this.lockState = locked ? 1 : 2;
    this.operationEvent(2, locked ? 13 : 14, 0xffff, '');
    this.reportLockState();
  }

  /** Reports the battery (in percent) when reporting was configured. */
  setBattery(percent: number): void {
    this.batteryHalfPercent = Math.round(percent * 2);
    if (this.reporting.has('battery') && this.bound.has(POWER)) {
      this.report(POWER, [{ attrId: 0x0021, dataType: Zcl.DataType.UINT8, attrData: this.batteryValue() }]);
    }
  }

  /** A lockState attribute report alone (no operation event). */
  reportLockState(): void {
    if (!this.reporting.has('lockState') || !this.bound.has(DOOR_LOCK)) return;
    this.report(DOOR_LOCK, [{ attrId: 0x0000, dataType: Zcl.DataType.ENUM8, attrData: this.lockState }]);
  }

  /** Sends an operation event notification as the lock would. */
  operationEvent(source: number, code: number, userid: number, pin: string): void {
    this.notify('operationEventNotification', {
      opereventsrc: source,
      opereventcode: code,
      userid,
      pin: Buffer.from(pin, 'ascii'),
      zigbeelocaltime: this.localNow(),
      data: '',
    });
  }

  programmingEvent(
    source: number,
    code: number,
    userid: number,
    pin: string,
    type: number,
    status: number,
  ): void {
    this.notify('programmingEventNotification', {
      programeventsrc: source,
      programeventcode: code,
      userid,
      pin: Buffer.from(this.options.programming_event_pin ? pin : '', 'ascii'),
      usertype: type,
      userstatus: status,
      zigbeelocaltime: this.localNow(),
      data: '',
    });
  }

  /** Sends bytes as this lock (a hand-made frame, for the tests of the specification's layouts). */
  sendRaw(cluster: number, bytes: Buffer): void {
    this.air?.send(this, cluster, this.options.endpoint, bytes);
  }

  /** Asks the coordinator for the time (the lock's clock for year-day schedules). */
  requestTime(): void {
    const attrs = ['time', 'timeZone', 'dstStart', 'dstEnd', 'dstShift'].map((name) => ({
      attrId: Zcl.Clusters.genTime.attributes[name as 'time']!.ID,
    }));
    const frame = Zcl.Frame.create(
      Zcl.FrameType.GLOBAL,
      Zcl.Direction.CLIENT_TO_SERVER,
      true,
      undefined,
      this.takeTsn(),
      'read',
      TIME,
      attrs,
      {},
    );
    this.air?.send(this, TIME, this.options.endpoint, frame.toBuffer(), 1);
  }

  get hasClock(): boolean {
    return this.clock !== null;
  }

  /** The lock's local time in Zigbee seconds, from the clock the coordinator served; 0 before. */
  localNow(): number {
    if (!this.clock) return 0;
    return this.clock.zigbee_s + Math.floor((Date.now() - this.clock.at_ms) / 1000) + this.clock.offset_s;
  }

  /** The user behind a ZCL user id (tests look at what the lock really holds). */
  user(userid: number): SimUser | undefined {
    return this.users.get(userid);
  }

  // --- Frames from the coordinator. ---

  /** A ZCL frame for this lock's `endpoint`; what it answers goes back through the air, from there. */
  receive(cluster: number, endpoint: number, sourceEndpoint: number, bytes: Buffer): void {
    this.answering = endpoint;
    const header = Zcl.Header.fromBuffer(bytes);
    if (!header) return;
    let frame: DecodedFrame;
    try {
      frame = Zcl.Frame.fromBuffer(cluster, header, bytes, {});
    } catch {
      this.answer(cluster, sourceEndpoint, header.transactionSequenceNumber, 'defaultRsp', {
        cmdId: header.commandIdentifier,
        statusCode: Zcl.Status.MALFORMED_COMMAND,
      });
      return;
    }
    const name = header.isGlobal ? `${frame.command.name}:${frame.cluster.name}` : frame.command.name;
    this.received.push(name);
    this.receivedFrames.push({ cluster, bytes: Buffer.from(bytes) });
    const tsn = header.transactionSequenceNumber;
    if (header.isGlobal) {
      this.global(frame, cluster, sourceEndpoint, tsn);
      return;
    }
    if (cluster !== DOOR_LOCK) {
      this.answer(cluster, sourceEndpoint, tsn, 'defaultRsp', {
        cmdId: header.commandIdentifier,
        statusCode: Zcl.Status.UNSUP_COMMAND,
      });
      return;
    }
    this.doorLock(frame, sourceEndpoint, tsn);
  }

  private global(frame: DecodedFrame, cluster: number, sourceEndpoint: number, tsn: number): void {
    switch (frame.command.name) {
      case 'read': {
        const records = (frame.payload as { attrId: number }[]).map((r) =>
          this.readAttribute(cluster, r.attrId),
        );
        this.answer(cluster, sourceEndpoint, tsn, 'readRsp', records);
        return;
      }
      case 'readRsp':
        if (cluster === TIME) this.setClock(frame.payload as { attrId: number; attrData: number }[]);
        return;
      case 'configReport': {
        const records = frame.payload as { attrId: number; direction: number }[];
        for (const r of records) {
          if (cluster === DOOR_LOCK && r.attrId === 0) this.reporting.add('lockState');
          if (cluster === POWER && r.attrId === 0x21) this.reporting.add('battery');
        }
        this.answer(
          cluster,
          sourceEndpoint,
          tsn,
          'configReportRsp',
          records.map((r) => ({ status: 0, direction: r.direction, attrId: r.attrId })),
        );
        if (cluster === DOOR_LOCK && this.options.year_day_schedules > 0 && !this.clock) this.requestTime();
        return;
      }
      case 'defaultRsp':
        return;
      default:
        this.answer(cluster, sourceEndpoint, tsn, 'defaultRsp', {
          cmdId: frame.header.commandIdentifier,
          statusCode: Zcl.Status.UNSUP_GENERAL_COMMAND,
        });
    }
  }

  private readAttribute(cluster: number, attrId: number): Record<string, unknown> {
    const o = this.options;
    const values: Record<number, Record<number, [number, unknown] | undefined>> = {
      [BASIC]: {
        0: [Zcl.DataType.UINT8, 8],
        1: [Zcl.DataType.UINT8, 1],
        2: [Zcl.DataType.UINT8, 2],
        3: [Zcl.DataType.UINT8, 1],
        4: [Zcl.DataType.CHAR_STR, o.manufacturer],
        5: [Zcl.DataType.CHAR_STR, o.model],
        6: [Zcl.DataType.CHAR_STR, '20240101'],
        7: [Zcl.DataType.ENUM8, o.router ? 1 : 3],
        16384: [Zcl.DataType.CHAR_STR, o.firmware],
      },
      [DOOR_LOCK]: {
        0: [Zcl.DataType.ENUM8, this.lockState],
        18: [Zcl.DataType.UINT16, o.users],
        21: o.year_day_schedules > 0 ? [Zcl.DataType.UINT8, o.year_day_schedules] : undefined,
        23: [Zcl.DataType.UINT8, o.max_pin],
        24: [Zcl.DataType.UINT8, o.min_pin],
      },
      [POWER]: { 33: [Zcl.DataType.UINT8, this.batteryValue()] },
      [POLL_CONTROL]: {
        0: [Zcl.DataType.UINT32, 14400],
        1: o.long_poll_quarter_s === null ? undefined : [Zcl.DataType.UINT32, o.long_poll_quarter_s],
      },
    };
    const value = values[cluster]?.[attrId];
    if (!value) return { attrId, status: Zcl.Status.UNSUPPORTED_ATTRIBUTE };
    return { attrId, status: Zcl.Status.SUCCESS, dataType: value[0], attrData: value[1] };
  }

  private batteryValue(): number {
    return this.options.battery_units === 'percent'
      ? Math.round(this.batteryHalfPercent / 2)
      : this.batteryHalfPercent;
  }

  private doorLock(frame: DecodedFrame, sourceEndpoint: number, tsn: number): void {
    const command = frame.command.name;
    const p = frame.payload as Record<string, unknown>;
    const lost = this.lostCommands.indexOf(command);
    if (lost >= 0) {
      this.lostCommands.splice(lost, 1);
      return;
    }
    const refusal = this.refusals.findIndex((r) => r.command === command);
    if (refusal >= 0) {
      const [r] = this.refusals.splice(refusal, 1);
      if (r!.defaultResponse) {
        this.answer(DOOR_LOCK, sourceEndpoint, tsn, 'defaultRsp', {
          cmdId: frame.command.ID,
          statusCode: r!.status,
        });
      } else {
        this.answer(DOOR_LOCK, sourceEndpoint, tsn, `${command}Rsp`, { status: r!.status });
      }
      return;
    }
    const reply = (name: string, payload: Record<string, unknown>) =>
      this.answer(DOOR_LOCK, sourceEndpoint, tsn, name, payload, command);
    const invalid = () =>
      this.answer(DOOR_LOCK, sourceEndpoint, tsn, 'defaultRsp', {
        cmdId: frame.command.ID,
        statusCode: Zcl.Status.INVALID_FIELD,
      });
    const userid = p.userid as number;
    switch (command) {
      case 'lockDoor':
      case 'unlockDoor': {
        this.lockState = command === 'lockDoor' ? 1 : 2;
        reply(`${command}Rsp`, { status: 0 });
        this.operationEvent(1, command === 'lockDoor' ? 1 : 2, 0xffff, '');
        this.reportLockState();
        return;
      }
      case 'setPinCode': {
        if (!this.validUser(userid)) {
          reply('setPinCodeRsp', { status: 1 });
          return;
        }
        const pin = (p.pincodevalue as Buffer).toString('ascii');
        const o = this.options;
        if (!/^\d+$/.test(pin) || pin.length < o.min_pin || pin.length > o.max_pin) {
          reply('setPinCodeRsp', { status: 1 });
          return;
        }
        const holder = [...this.users.entries()].find(([id, u]) => id !== userid && u.pin === pin);
        if (holder) {
          reply('setPinCodeRsp', { status: 3 });
          return;
        }
        const existed = this.users.has(userid);
        this.users.set(userid, {
          status: (p.userstatus as number) === USER_DISABLED ? USER_DISABLED : USER_ENABLED,
          type: p.usertype as number,
          pin,
          schedule: null,
        });
        reply('setPinCodeRsp', { status: 0 });
        if (o.notifies_rf_programming)
          this.programmingEvent(1, existed ? 4 : 2, userid, pin, p.usertype as number, USER_ENABLED);
        return;
      }
      case 'getPinCode': {
        if (!this.validUser(userid)) {
          invalid();
          return;
        }
        const user = this.users.get(userid);
        reply('getPinCodeRsp', {
          userid,
          userstatus: user?.status ?? USER_AVAILABLE,
          usertype: user?.type ?? USER_UNRESTRICTED,
          pincodevalue: Buffer.from(user && this.options.reads_codes ? user.pin : '', 'ascii'),
        });
        return;
      }
      case 'clearPinCode': {
        if (!this.validUser(userid)) {
          reply('clearPinCodeRsp', { status: 1 });
          return;
        }
        const existed = this.users.delete(userid);
        reply('clearPinCodeRsp', { status: 0 });
        if (existed && this.options.notifies_rf_programming)
          this.programmingEvent(1, 3, userid, '', USER_UNRESTRICTED, USER_AVAILABLE);
        return;
      }
      case 'clearAllPinCodes':
        this.users.clear();
        reply('clearAllPinCodesRsp', { status: 0 });
        return;
      case 'setUserStatus': {
        const user = this.users.get(userid);
        if (!user) {
          reply('setUserStatusRsp', { status: 1 });
          return;
        }
        user.status = p.userstatus as number;
        reply('setUserStatusRsp', { status: 0 });
        return;
      }
      case 'setYearDaySchedule':
      case 'getYearDaySchedule':
      case 'clearYearDaySchedule':
        this.yearDay(command, p, sourceEndpoint, tsn, frame.command.ID);
        return;
      default:
        this.answer(DOOR_LOCK, sourceEndpoint, tsn, 'defaultRsp', {
          cmdId: frame.command.ID,
          statusCode: Zcl.Status.UNSUP_COMMAND,
        });
    }
  }

  private yearDay(
    command: string,
    p: Record<string, unknown>,
    sourceEndpoint: number,
    tsn: number,
    cmdId: number,
  ): void {
    if (this.options.year_day_schedules === 0) {
      this.answer(DOOR_LOCK, sourceEndpoint, tsn, 'defaultRsp', {
        cmdId,
        statusCode: Zcl.Status.UNSUP_COMMAND,
      });
      return;
    }
    const userid = p.userid as number;
    const scheduleid = p.scheduleid as number;
    const user = this.users.get(userid);
    const valid = this.validUser(userid) && scheduleid < this.options.year_day_schedules;
    const reply = (name: string, payload: Record<string, unknown>) =>
      this.answer(DOOR_LOCK, sourceEndpoint, tsn, name, payload, command);
    if (command === 'setYearDaySchedule') {
      if (!valid || !user) {
        reply('setYearDayScheduleRsp', { status: 1 });
        return;
      }
      user.schedule = { start: p.zigbeelocalstarttime as number, end: p.zigbeelocalendtime as number };
      reply('setYearDayScheduleRsp', { status: 0 });
      return;
    }
    if (command === 'clearYearDaySchedule') {
      if (user) user.schedule = null;
      reply('clearYearDayScheduleRsp', { status: valid ? 0 : 1 });
      return;
    }
    if (!valid || !user?.schedule) {
      // The strict ZCL form of "not found": no times after the status.
      const header = Buffer.from([0x19, tsn, 0x0f]);
      const body = Buffer.from([scheduleid, userid & 0xff, userid >> 8, Zcl.Status.NOT_FOUND]);
      this.sendAnswer(DOOR_LOCK, sourceEndpoint, Buffer.concat([header, body]), command);
      return;
    }
    reply('getYearDayScheduleRsp', {
      scheduleid,
      userid,
      status: 0,
      zigbeelocalstarttime: user.schedule.start,
      zigbeelocalendtime: user.schedule.end,
    });
  }

  private validUser(userid: number): boolean {
    const first = this.options.first_user_id;
    return Number.isInteger(userid) && userid >= first && userid < first + this.options.users;
  }

  private withinSchedule(user: SimUser): boolean {
    if (!user.schedule || !this.clock) return false;
    const now = this.localNow();
    return now >= user.schedule.start && now <= user.schedule.end;
  }

  private setClock(records: { attrId: number; attrData: number }[]): void {
    const value = (name: string) =>
      records.find((r) => r.attrId === Zcl.Clusters.genTime.attributes[name as 'time']!.ID)?.attrData ?? 0;
    const time = value('time');
    const inDst = time >= value('dstStart') && time <= value('dstEnd');
    this.clock = {
      zigbee_s: time,
      at_ms: Date.now(),
      offset_s: value('timeZone') + (inDst ? value('dstShift') : 0),
    };
  }

  // --- Frames to the coordinator. ---

  private notify(name: string, payload: Record<string, unknown>): void {
    const frame = Zcl.Frame.create(
      Zcl.FrameType.SPECIFIC,
      Zcl.Direction.SERVER_TO_CLIENT,
      true,
      undefined,
      this.takeTsn(),
      name,
      DOOR_LOCK,
      payload,
      {},
    );
    let bytes = frame.toBuffer();
    // The Data string is the last field: without it, the frame ends after the local time.
    if (!this.options.notification_data_field) bytes = bytes.subarray(0, bytes.length - 1);
    this.air?.send(this, DOOR_LOCK, this.options.endpoint, bytes);
  }

  private report(cluster: number, records: Record<string, unknown>[]): void {
    const frame = Zcl.Frame.create(
      Zcl.FrameType.GLOBAL,
      Zcl.Direction.SERVER_TO_CLIENT,
      true,
      undefined,
      this.takeTsn(),
      'report',
      cluster,
      records,
      {},
    );
    this.air?.send(this, cluster, this.options.endpoint, frame.toBuffer());
  }

  private answer(
    cluster: number,
    sourceEndpoint: number,
    tsn: number,
    name: string,
    payload: unknown,
    command?: string,
  ): void {
    const global = name === 'defaultRsp' || name === 'readRsp' || name === 'configReportRsp';
    const frame = Zcl.Frame.create(
      global ? Zcl.FrameType.GLOBAL : Zcl.FrameType.SPECIFIC,
      Zcl.Direction.SERVER_TO_CLIENT,
      true,
      undefined,
      tsn,
      name,
      cluster,
      payload,
      {},
    );
    this.sendAnswer(cluster, sourceEndpoint, frame.toBuffer(), command);
  }

  private sendAnswer(cluster: number, destinationEndpoint: number, bytes: Buffer, command?: string): void {
    const lost = command === undefined ? -1 : this.dropAnswers.findIndex((set) => set.has(command));
    if (lost >= 0) {
      this.dropAnswers.splice(lost, 1);
      return;
    }
    const from = this.answering || this.options.endpoint;
    const send = () => this.air?.send(this, cluster, from, bytes, destinationEndpoint);
    if (this.options.answer_delay_ms > 0) setTimeout(send, this.options.answer_delay_ms).unref();
    else send();
  }

  private takeTsn(): number {
    if (this.nextTsn !== null) {
      const tsn = this.nextTsn;
      this.nextTsn = null;
      return tsn;
    }
    this.tsn = (this.tsn + 1) & 0xff;
    return this.tsn;
  }
}

export const DEFAULT_OPTIONS: Omit<SimDoorLockOptions, 'ieee'> = {
  manufacturer: 'Yale',
  model: 'YRD256 TSDB',
  manufacturer_code: 0x101d,
  firmware: '3.1.7',
  endpoint: 1,
  users: 20,
  first_user_id: 0,
  min_pin: 4,
  max_pin: 8,
  reads_codes: true,
  year_day_schedules: 0,
  answer_delay_ms: 0,
  long_poll_quarter_s: null,
  router: true,
  notifies_rf_programming: true,
  programming_event_pin: true,
  notification_data_field: true,
  battery_units: 'half_percent',
  door_lock: true,
};

/** Zigbee UTC seconds for an epoch-ms instant (the tests' clocks). */
export const zigbeeSeconds = (ms: number): number => Math.floor((ms - ZIGBEE_EPOCH_MS) / 1000);
