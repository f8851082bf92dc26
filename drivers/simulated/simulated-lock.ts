// One simulated lock behind the LockHandle interface: a LockModel reached with a latency, plus the
// knobs tests and the demo turn to make it misbehave the way real locks do (offline, refusals,
// lost replies, keypad changes, reboots). Events are emitted only while the lock is connected,
// as a real lock can only report what someone hears.
import { EventEmitter } from 'node:events';
import type { TimeWindow } from '../../src/core/access-code.ts';
import {
  type DoorState,
  DriverError,
  type DriverErrorKind,
  type LockCapabilities,
  type LockEvents,
  type LockHandle,
  type LockState,
  type ReadPolicy,
  type SlotRange,
  type SlotReading,
} from '../driver.ts';
import { type CommandKind, FaultPlan } from './fault-plan.ts';
import { LockModel, type LockModelOptions } from './lock-model.ts';
import { readSlotFile, writeSlotFile } from './slot-file.ts';

export interface SimulatedLockSpec {
  name: string;
  latency_ms: number;
  options: LockModelOptions;
  /** Full reads on every connect by default; tests of radio locks ask for targeted reads. */
  read_policy?: ReadPolicy;
  /** Where the slots are kept across restarts of the daemon (simulated.keep_slots); none by default. */
  slots_file?: string;
}

interface InFlight {
  timer: NodeJS.Timeout;
  reject: (error: DriverError) => void;
}

export class SimulatedLock extends EventEmitter<LockEvents> implements LockHandle {
  readonly driver = 'simulated' as const;
  readonly identity: string;
  readonly name: string;
  readonly model: LockModel;
  readonly latency_ms: number;
  readonly readPolicy: ReadPolicy;
  /** Slots the host has read, one count a slot (what a radio lock would pay for). */
  slotsRead = 0;
  lockState: LockState = 'locked';
  doorState: DoorState = 'closed';
  battery = 1;

  private caps: LockCapabilities | null = null;
  private readonly faults = new FaultPlan();
  private readonly inFlight = new Set<InFlight>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The driver runs: someone listens. */
  private running = false;
  /** setOffline(true): unreachable until setOffline(false). */
  private unreachable = false;
  private rebooting = false;
  private connected = false;
  /** A reboot not yet reported: reported when the lock is next heard (factory reset if any was). */
  private unreportedReboot: boolean | null = null;
  private wrongAttempts = 0;
  private readonly slotsFile: string | null;
  /** The kept slots were read (at the lock's first command: a real lock's memory costs the daemon nothing at start). */
  private restored = false;

  constructor(spec: SimulatedLockSpec) {
    super();
    if (!Number.isFinite(spec.latency_ms) || spec.latency_ms < 0) {
      throw new RangeError(`simulated lock ${spec.name}: latency_ms must be a non-negative number`);
    }
    this.name = spec.name;
    this.latency_ms = spec.latency_ms;
    this.model = new LockModel(spec.options);
    this.slotsFile = spec.slots_file ?? null;
    this.identity = `sim:${spec.options.serial_number}`;
    this.readPolicy = spec.read_policy ?? { mode: 'full', chunk: spec.options.slots };
  }

  get capabilities(): LockCapabilities | null {
    return this.caps;
  }

  get online(): boolean {
    return this.connected;
  }

  // --- LockHandle commands: each answers after the latency, acting on the model then. ---

  readSlots(range?: SlotRange): Promise<SlotReading[]> {
    return this.command('read', () => {
      const first = range?.first ?? 1;
      const count = range?.count ?? this.model.options.slots;
      if (!Number.isInteger(first) || !Number.isInteger(count) || count < 1 || first < 1) {
        throw new DriverError('bad_slot', 'a range is a first slot and a count, both 1 or more');
      }
      const last = Math.min(first + count - 1, this.model.options.slots);
      const readings: SlotReading[] = [];
      for (let slot = first; slot <= last; slot++) readings.push(this.model.read(slot));
      this.slotsRead += readings.length;
      return readings;
    });
  }

  readSlot(slot: number): Promise<SlotReading> {
    return this.command('read', () => {
      const reading = this.model.read(slot);
      this.slotsRead++;
      return reading;
    });
  }

  writeSlot(slot: number, code: string, schedule: TimeWindow | null): Promise<void> {
    return this.command('write', () => this.keep(() => this.model.write(slot, code, schedule, 'host')));
  }

  clearSlot(slot: number): Promise<void> {
    return this.command('clear', () => this.keep(() => this.model.clear(slot, 'host')));
  }

  lock(): Promise<void> {
    return this.command('lock', () => this.actuate('locked', 'host', null));
  }

  unlock(): Promise<void> {
    return this.command('unlock', () => this.actuate('unlocked', 'host', null));
  }

  /** The simulated lock keeps windows to the millisecond. */
  normalizeSchedule(schedule: TimeWindow): TimeWindow {
    return schedule;
  }

  // --- Fault knobs. ---

  /** Unreachable (true) or back (false); commands in flight fail with 'offline'. */
  setOffline(offline: boolean): void {
    this.unreachable = offline;
    if (offline) this.disconnect('unreachable');
    else this.comeOnline();
  }

  /** The next `count` write/clear commands fail with `kind`, leaving the slots alone. */
  refuseNext(kind: DriverErrorKind, count = 1): void {
    this.faults.refuse(kind, count);
  }

  /** The next `count` commands of any kind take `ms` instead of the latency. */
  slowNext(ms: number, count = 1): void {
    this.faults.slow(ms, count);
  }

  /** The next `count` write/clear commands act on the slots but their answer is lost ('outcome_unknown'). */
  dropConfirmation(count = 1): void {
    this.faults.loseReplies(count);
  }

  /** Someone programs (code) or deletes (null) a slot at the keypad. Throws DriverError like the lock would. */
  keypadProgram(slot: number, code: string | null): void {
    this.keep(() => {
      if (code === null) this.model.clear(slot, 'keypad');
      else this.model.write(slot, code, null, 'keypad');
    });
    this.report('slot_changed', slot, this.model.read(slot));
  }

  /** Someone disables or re-enables an occupied slot at the keypad. */
  keypadSetEnabled(slot: number, enabled: boolean): void {
    this.keep(() => this.model.setEnabled(slot, enabled));
    this.report('slot_changed', slot, this.model.read(slot));
  }

  /** Someone types a PIN at the keypad at `now` (epoch ms). */
  enterCode(code: string, now: number = Date.now()): void {
    this.restoreSlots();
    const attempt = this.model.tryCode(code, now);
    if (attempt === null) {
      this.wrongAttempts++;
      this.report('wrong_code', this.wrongAttempts);
      return;
    }
    this.wrongAttempts = 0;
    this.report('code_used', attempt.slot, attempt.result);
    if (attempt.result === 'unlocked') this.actuate('unlocked', 'keypad', attempt.slot);
  }

  /**
   * The lock restarts: offline now, back after the latency with rebooted(factoryReset) then online.
   * A factory reset empties every slot at once. While the driver is stopped nobody hears of it.
   */
  reboot(factoryReset: boolean): void {
    if (factoryReset) this.keep(() => this.model.factoryReset());
    if (!this.running) return;
    this.unreportedReboot = (this.unreportedReboot ?? false) || factoryReset;
    this.rebooting = true;
    this.disconnect('rebooting');
    this.after(this.latency_ms, () => {
      this.rebooting = false;
      this.comeOnline();
    });
  }

  /** The bolt jams (a door out of line, a stuck motor): reported as the lock's state until it moves again. */
  jam(): void {
    this.actuate('jammed', 'host', null);
  }

  setBattery(level: number): void {
    if (!Number.isFinite(level) || level < 0 || level > 1) {
      throw new RangeError('battery level must be within 0..1');
    }
    this.battery = level;
    this.report('battery', level);
  }

  setDoor(state: DoorState): void {
    this.doorState = state;
    this.report('door_state', state);
  }

  // --- Driver side: only SimulatedDriver calls these. ---

  /** The driver started: the lock answers after its latency. */
  driverStarted(): void {
    this.running = true;
    this.after(this.latency_ms, () => this.comeOnline());
  }

  /**
   * The driver stopped: silent from now on. Listeners are dropped so a bridge that stopped hears
   * nothing more; the next start announces the lock again to whoever listens then.
   */
  driverStopped(): void {
    this.running = false;
    this.rebooting = false;
    this.unreportedReboot = null;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.failInFlight();
    this.connected = false;
    this.removeAllListeners();
  }

  // --- Internals. ---

  /** The slots kept from before the daemon started, once. */
  private restoreSlots(): void {
    if (this.restored || this.slotsFile === null) return;
    this.restored = true;
    this.model.restore(readSlotFile(this.slotsFile));
  }

  /** Changes the slots, and keeps them on disk before the change is confirmed (as a lock's flash). */
  private keep(change: () => void): void {
    this.restoreSlots();
    change();
    if (this.slotsFile !== null) writeSlotFile(this.slotsFile, this.model.occupied());
  }

  private command<T>(kind: CommandKind, act: () => T): Promise<T> {
    if (!this.connected) return Promise.reject(new DriverError('offline', `lock ${this.name} is offline`));
    this.restoreSlots();
    const faults = this.faults.take(kind);
    return new Promise<T>((resolve, reject) => {
      const entry: InFlight = {
        reject,
        timer: setTimeout(() => {
          this.inFlight.delete(entry);
          if (faults.refusal !== null) {
            reject(
              new DriverError(faults.refusal, `lock ${this.name} refused the ${kind} (${faults.refusal})`),
            );
            return;
          }
          let result: T;
          try {
            result = act();
          } catch (error) {
            reject(faults.reply_lost ? this.noAnswer(kind) : error);
            return;
          }
          if (faults.reply_lost) reject(this.noAnswer(kind));
          else resolve(result);
        }, faults.delay_ms ?? this.latency_ms),
      };
      this.inFlight.add(entry);
    });
  }

  private noAnswer(kind: CommandKind): DriverError {
    return new DriverError('outcome_unknown', `lock ${this.name} did not answer the ${kind}`);
  }

  private actuate(state: LockState, source: 'host' | 'keypad', slot: number | null): void {
    this.lockState = state;
    this.report('lock_state', state, source, slot);
  }

  private comeOnline(): void {
    if (!this.running || this.unreachable || this.rebooting || this.connected) return;
    const caps = this.capabilitiesFromModel();
    this.caps = caps;
    this.connected = true;
    const reboot = this.unreportedReboot;
    this.unreportedReboot = null;
    if (reboot !== null) this.emit('rebooted', reboot);
    this.emit('online', caps);
  }

  private disconnect(reason: string): void {
    this.failInFlight();
    if (!this.connected) return;
    this.connected = false;
    this.emit('offline', reason);
  }

  private failInFlight(): void {
    for (const entry of this.inFlight) {
      clearTimeout(entry.timer);
      entry.reject(new DriverError('offline', `lock ${this.name} went offline before answering`));
    }
    this.inFlight.clear();
  }

  private report<K extends keyof LockEvents>(event: K, ...args: LockEvents[K]): void {
    if (this.connected) this.emit(event, ...(args as never));
  }

  private after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private capabilitiesFromModel(): LockCapabilities {
    const o = this.model.options;
    return {
      slot_count: o.slots,
      min_code_length: o.min_code_length,
      max_code_length: o.max_code_length,
      can_read_codes: o.can_read_codes,
      supports_native_scheduling: o.supports_native_scheduling,
      manufacturer: 'lockbridge',
      model: 'Simulated lock',
      serial_number: o.serial_number,
      firmware: '1.0',
    };
  }
}
