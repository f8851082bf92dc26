// The memory of a simulated lock: its slots and the rules a real lock enforces on them. Pure and
// synchronous (no timers, no I/O), so the simulated driver and the lockwire simulator share it.
// Errors never carry a PIN: they end up in logs and API answers.
import type { TimeWindow } from '../../src/core/access-code.ts';
import { type CodeAttemptResult, DriverError, type SlotReading } from '../driver.ts';

export interface LockModelOptions {
  slots: number;
  min_code_length: number;
  max_code_length: number;
  /** Readings carry the PIN; otherwise they only say the slot is occupied. */
  can_read_codes: boolean;
  /** Slots may carry a time window the lock enforces itself. */
  supports_native_scheduling: boolean;
  serial_number: string;
}

export type SlotOrigin = 'host' | 'keypad';

export interface ModelSlot {
  state: 'empty' | 'enabled' | 'disabled';
  code: string | null;
  origin: SlotOrigin;
  schedule: TimeWindow | null;
}

const DIGITS = /^[0-9]+$/;

/** One shared empty slot (slots are replaced, never changed in place): a thousand locks of 250 slots cost no object each. */
const EMPTY: ModelSlot = Object.freeze({ state: 'empty', code: null, origin: 'host', schedule: null });
const emptySlot = (): ModelSlot => EMPTY;

export class LockModel {
  readonly options: LockModelOptions;
  /** Successful host writes (keypad programming does not count): lets tests see redundant writes. */
  writeCount = 0;
  /** Successful host clears. */
  clearCount = 0;
  private readonly slots: ModelSlot[];
  /** Which slot holds each PIN: a real lock's firmware checks duplicates on its own CPU, not the hub's. */
  private readonly slotOf = new Map<string, number>();

  constructor(options: LockModelOptions) {
    if (!Number.isInteger(options.slots) || options.slots < 1) {
      throw new RangeError('a lock needs at least one slot');
    }
    if (options.min_code_length < 1 || options.min_code_length > options.max_code_length) {
      throw new RangeError('min_code_length must be between 1 and max_code_length');
    }
    this.options = { ...options };
    this.slots = Array.from({ length: options.slots }, emptySlot);
  }

  write(slot: number, code: string, schedule: TimeWindow | null, origin: SlotOrigin = 'host'): void {
    this.checkSlot(slot);
    this.checkCode(code);
    if (schedule !== null && !this.options.supports_native_scheduling) {
      throw new DriverError('unsupported', 'this lock cannot store a schedule with a code');
    }
    if (schedule !== null && !(schedule.starts_at < schedule.ends_at)) {
      throw new DriverError('unsupported', 'a schedule must start before it ends');
    }
    const holder = this.slotWithCode(code);
    if (holder !== null && holder !== slot) {
      throw new DriverError('duplicate_code', `the code is already in slot ${holder}`, holder);
    }
    this.place(slot, { state: 'enabled', code, origin, schedule });
    if (origin === 'host') this.writeCount++;
  }

  /** Idempotent: clearing an empty slot succeeds, as a retried clear must. */
  clear(slot: number, origin: SlotOrigin = 'host'): void {
    this.checkSlot(slot);
    this.place(slot, emptySlot());
    if (origin === 'host') this.clearCount++;
  }

  /** Enables or disables an occupied slot, as a keypad menu can; a disabled code opens nothing. */
  setEnabled(slot: number, enabled: boolean): void {
    this.checkSlot(slot);
    const current = this.slots[slot - 1]!;
    if (current.state === 'empty') throw new DriverError('bad_slot', `slot ${slot} is empty`);
    this.place(slot, { ...current, state: enabled ? 'enabled' : 'disabled' });
  }

  slot(slot: number): ModelSlot {
    this.checkSlot(slot);
    return { ...this.slots[slot - 1]! };
  }

  read(slot: number): SlotReading {
    const s = this.slot(slot);
    if (s.state === 'empty') return { slot, state: 'empty', code: null, origin: 'unknown', schedule: null };
    return {
      slot,
      state: s.state,
      code: this.options.can_read_codes ? s.code : null,
      origin: s.origin,
      schedule: s.schedule,
    };
  }

  /** Every slot, empty ones included, in slot order. */
  readAll(): SlotReading[] {
    return this.slots.map((_, i) => this.read(i + 1));
  }

  occupiedSlots(): number[] {
    const occupied: number[] = [];
    this.slots.forEach((s, i) => {
      if (s.state !== 'empty') occupied.push(i + 1);
    });
    return occupied;
  }

  /** The PIN really stored, even on a lock that can't read codes back (for tests and simulators). */
  codeIn(slot: number): string | null {
    return this.slot(slot).code;
  }

  slotWithCode(code: string): number | null {
    return this.slotOf.get(code) ?? null;
  }

  /** Someone types a PIN at `now` (epoch ms); null means no slot holds it. */
  tryCode(code: string, now: number): { slot: number; result: CodeAttemptResult } | null {
    const slot = this.slotWithCode(code);
    if (slot === null) return null;
    const s = this.slots[slot - 1]!;
    if (s.state === 'disabled') return { slot, result: 'rejected_disabled' };
    if (s.schedule !== null && (now < s.schedule.starts_at || now >= s.schedule.ends_at)) {
      return { slot, result: 'rejected_schedule' };
    }
    return { slot, result: 'unlocked' };
  }

  /** The occupied slots and what each holds (what a lock keeps across a power cycle). */
  occupied(): Array<[slot: number, contents: ModelSlot]> {
    return this.occupiedSlots().map((slot) => [slot, this.slot(slot)]);
  }

  /** Puts back slots kept from before (simulated.keep_slots); counters are not touched. */
  restore(entries: ReadonlyArray<readonly [number, ModelSlot]>): void {
    for (const [slot, contents] of entries) {
      this.checkSlot(slot);
      this.place(slot, { ...contents });
    }
  }

  /** Every slot empty; the counters stay, they count what the host did. */
  factoryReset(): void {
    for (let i = 0; i < this.slots.length; i++) this.slots[i] = emptySlot();
    this.slotOf.clear();
  }

  /** The one way a slot changes: keeps slotOf in step. */
  private place(slot: number, contents: ModelSlot): void {
    const before = this.slots[slot - 1]!;
    if (before.code !== null && this.slotOf.get(before.code) === slot) this.slotOf.delete(before.code);
    this.slots[slot - 1] = contents;
    if (contents.state !== 'empty' && contents.code !== null && !this.slotOf.has(contents.code)) {
      this.slotOf.set(contents.code, slot);
    }
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 1 || slot > this.slots.length) {
      throw new DriverError('bad_slot', `slot ${slot} is not between 1 and ${this.slots.length}`);
    }
  }

  private checkCode(code: string): void {
    const { min_code_length: min, max_code_length: max } = this.options;
    if (typeof code !== 'string' || !DIGITS.test(code)) {
      throw new DriverError('bad_code', 'a code must be digits only');
    }
    if (code.length < min || code.length > max) {
      throw new DriverError('bad_code', `a code must have ${min} to ${max} digits, not ${code.length}`);
    }
  }
}
