// A lock behind the LockHandle interface whose commands never complete by themselves: each one is
// recorded and waits until the test answers it (fake.answer), or until a responder the test set
// answers it. Tests of the reconciler use it to see exactly what is sent, in what order, and what
// is in flight at any moment. A call's record says whether a PIN was sent, never the PIN.
import { EventEmitter } from 'node:events';
import {
  DriverError,
  type DriverErrorKind,
  type LockCapabilities,
  type LockEvents,
  type LockHandle,
  type ReadPolicy,
  type SlotRange,
  type SlotReading,
} from '../../drivers/driver.ts';
import type { TimeWindow } from '../../src/core/access-code.ts';

export type FakeCommandKind = 'readSlots' | 'readSlot' | 'writeSlot' | 'clearSlot' | 'lock' | 'unlock';

export interface FakeCall {
  /** The order in which the lock received it, from 0. */
  seq: number;
  kind: FakeCommandKind;
  /** The slot a readSlot, writeSlot or clearSlot names; null otherwise. */
  slot: number | null;
  /** The range a readSlots asked for (null: every slot); null for other commands. */
  range: SlotRange | null;
  /** A writeSlot carried a PIN (the PIN itself is never recorded). */
  hasCode: boolean;
  /** A writeSlot carried a schedule. */
  hasSchedule: boolean;
  /** Date.now() when it was sent, and when it was answered (null while in flight). */
  sentAt: number;
  answeredAt: number | null;
  /** 'ok', the DriverError kind it failed with, 'threw' (a plain Error); null while in flight. */
  outcome: 'ok' | DriverErrorKind | 'threw' | null;
}

/**
 * How a command is answered: 'ok' (a read returns the fake's slots), a DriverError of that kind,
 * a DriverError with details (`applied`: a write or clear whose answer is lost but which did
 * happen on the lock, as with outcome_unknown), or a plain Error (a driver bug).
 */
export type FakeOutcome =
  | 'ok'
  | DriverErrorKind
  | { error: DriverErrorKind; other_slot?: number | null; applied?: boolean }
  | Error;

/** Counts commands in flight across several fakes (the reconciler's parallel-locks limit). */
export class InFlightCounter {
  current = 0;
  max = 0;
  enter(): void {
    this.current++;
    this.max = Math.max(this.max, this.current);
  }
  leave(): void {
    this.current--;
  }
}

export interface FakeLockOptions {
  identity?: string;
  name?: string;
  slots?: number;
  min_code_length?: number;
  max_code_length?: number;
  can_read_codes?: boolean;
  supports_native_scheduling?: boolean;
  /** Default: { mode: 'full', chunk: slots }. */
  readPolicy?: ReadPolicy;
  /** Default: identity. */
  normalizeSchedule?: (schedule: TimeWindow) => TimeWindow;
  /** PINs already in slots (programmed at the keypad before the bridge knew the lock). */
  preset?: Record<number, string>;
  /** A counter shared with other fakes. */
  counter?: InFlightCounter;
}

interface StoredSlot {
  code: string;
  schedule: TimeWindow | null;
  origin: 'host' | 'keypad';
}

interface Pending {
  call: FakeCall;
  /** What the lock does when the command succeeds (or is applied though unanswered); its result. */
  apply: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

let fakes = 0;

export class FakeLock extends EventEmitter<LockEvents> implements LockHandle {
  readonly driver = 'simulated' as const;
  readonly identity: string;
  readonly name: string;
  readonly readPolicy: ReadPolicy;
  /** Every command received, in order (answered ones included). */
  readonly calls: FakeCall[] = [];
  /** The most commands that were ever in flight at once on this lock. */
  maxInFlight = 0;
  /** What the lock holds, slot by slot: kept up to date by successful writes and clears. */
  readonly slots = new Map<number, StoredSlot>();

  private caps: LockCapabilities | null = null;
  private connected = false;
  private readonly allCaps: LockCapabilities;
  private readonly inFlight: Pending[] = [];
  private readonly counter: InFlightCounter | null;
  private readonly normalize: (schedule: TimeWindow) => TimeWindow;
  private responder: ((call: FakeCall) => FakeOutcome | undefined) | null = null;

  constructor(options: FakeLockOptions = {}) {
    super();
    fakes++;
    const slotCount = options.slots ?? 10;
    this.identity = options.identity ?? `fake:${fakes}`;
    this.name = options.name ?? `Fake lock ${fakes}`;
    this.readPolicy = options.readPolicy ?? { mode: 'full', chunk: slotCount };
    this.normalize = options.normalizeSchedule ?? ((schedule) => schedule);
    this.counter = options.counter ?? null;
    this.allCaps = {
      slot_count: slotCount,
      min_code_length: options.min_code_length ?? 4,
      max_code_length: options.max_code_length ?? 8,
      can_read_codes: options.can_read_codes ?? true,
      supports_native_scheduling: options.supports_native_scheduling ?? false,
      manufacturer: 'lockbridge tests',
      model: 'Fake lock',
      serial_number: this.identity,
      firmware: '0',
    };
    for (const [slot, code] of Object.entries(options.preset ?? {})) {
      this.slots.set(Number(slot), { code, schedule: null, origin: 'keypad' });
    }
  }

  /** Known once the lock has been online (null before), as the interface says. */
  get capabilities(): LockCapabilities | null {
    return this.caps;
  }

  get online(): boolean {
    return this.connected;
  }

  // --- LockHandle commands: recorded, and in flight until answered. ---

  readSlots(range?: SlotRange): Promise<SlotReading[]> {
    const first = range?.first ?? 1;
    const last = Math.min(first + (range?.count ?? this.allCaps.slot_count) - 1, this.allCaps.slot_count);
    return this.command({ kind: 'readSlots', range: range ? { ...range } : null }, () => {
      const readings: SlotReading[] = [];
      for (let slot = first; slot <= last; slot++) readings.push(this.reading(slot));
      return readings;
    });
  }

  readSlot(slot: number): Promise<SlotReading> {
    return this.command({ kind: 'readSlot', slot }, () => this.reading(slot));
  }

  writeSlot(slot: number, code: string, schedule: TimeWindow | null): Promise<void> {
    return this.command(
      { kind: 'writeSlot', slot, hasCode: code !== '', hasSchedule: schedule !== null },
      () => {
        this.slots.set(slot, { code, schedule, origin: 'host' });
      },
    );
  }

  clearSlot(slot: number): Promise<void> {
    return this.command({ kind: 'clearSlot', slot }, () => {
      this.slots.delete(slot);
    });
  }

  lock(): Promise<void> {
    return this.command({ kind: 'lock' }, () => undefined);
  }

  unlock(): Promise<void> {
    return this.command({ kind: 'unlock' }, () => undefined);
  }

  normalizeSchedule(schedule: TimeWindow): TimeWindow {
    return this.normalize(schedule);
  }

  // --- What the test sees and does. ---

  /** Commands sent and not answered yet, oldest first. */
  pending(): FakeCall[] {
    return this.inFlight.map((p) => p.call);
  }

  /** Commands of these kinds received so far (all kinds when none is given). */
  sent(...kinds: FakeCommandKind[]): FakeCall[] {
    return kinds.length === 0 ? [...this.calls] : this.calls.filter((c) => kinds.includes(c.kind));
  }

  /**
   * Answers one command in flight: 'next' is the oldest, a number its index in pending().
   * Returns the call answered. The reconciler sees the answer after the current microtasks.
   */
  answer(which: number | 'next', outcome: FakeOutcome = 'ok'): FakeCall {
    const index = which === 'next' ? 0 : which;
    const entry = this.inFlight[index];
    if (!entry) throw new Error(`fake lock ${this.name}: no command in flight at index ${index}`);
    this.settle(entry, outcome);
    return entry.call;
  }

  /**
   * Answers from now on every command as `respond` says (undefined: leave it for answer()), on
   * the next turn of the event loop; commands already in flight too. null: answer by hand again.
   */
  respondWith(respond: ((call: FakeCall) => FakeOutcome | undefined) | null): void {
    this.responder = respond;
    if (respond) for (const entry of [...this.inFlight]) this.autoAnswer(entry);
  }

  /** Resolves with the oldest command in flight once there is one (rejects after timeoutMs). */
  async waitForPending(timeoutMs = 2000): Promise<FakeCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = this.inFlight[0];
      if (next) return next.call;
      if (Date.now() > deadline) throw new Error(`fake lock ${this.name}: no command within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The PIN a slot holds, or null (for assertions; never logged). */
  codeIn(slot: number): string | null {
    return this.slots.get(slot)?.code ?? null;
  }

  /** The lock answers: capabilities known, 'online' emitted. */
  goOnline(): void {
    if (this.connected) return;
    this.caps = { ...this.allCaps };
    this.connected = true;
    this.emit('online', this.caps);
  }

  /** The lock stops answering: commands in flight fail with 'offline', 'offline' emitted. */
  goOffline(reason = 'unreachable'): void {
    for (const entry of [...this.inFlight]) this.settle(entry, 'offline');
    if (!this.connected) return;
    this.connected = false;
    this.emit('offline', reason);
  }

  /** The lock restarts: offline, then 'rebooted' and 'online'; a factory reset empties every slot. */
  reboot(factoryReset: boolean): void {
    this.goOffline('rebooting');
    if (factoryReset) this.slots.clear();
    this.caps = { ...this.allCaps };
    this.connected = true;
    this.emit('rebooted', factoryReset);
    this.emit('online', this.caps);
  }

  // --- Internals. ---

  private command<T>(
    fields: Partial<Pick<FakeCall, 'slot' | 'range' | 'hasCode' | 'hasSchedule'>> & { kind: FakeCommandKind },
    apply: () => T,
  ): Promise<T> {
    const call: FakeCall = {
      seq: this.calls.length,
      slot: null,
      range: null,
      hasCode: false,
      hasSchedule: false,
      ...fields,
      sentAt: Date.now(),
      answeredAt: null,
      outcome: null,
    };
    this.calls.push(call);
    if (!this.connected) {
      call.answeredAt = call.sentAt;
      call.outcome = 'offline';
      return Promise.reject(new DriverError('offline', `fake lock ${this.name} is offline`));
    }
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { call, apply, resolve: resolve as (value: unknown) => void, reject };
      this.inFlight.push(entry);
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight.length);
      this.counter?.enter();
      this.autoAnswer(entry);
    });
  }

  private autoAnswer(entry: Pending): void {
    const outcome = this.responder?.(entry.call);
    if (outcome === undefined) return;
    setImmediate(() => {
      if (this.inFlight.includes(entry)) this.settle(entry, outcome);
    });
  }

  private settle(entry: Pending, outcome: FakeOutcome): void {
    const index = this.inFlight.indexOf(entry);
    if (index < 0) return;
    this.inFlight.splice(index, 1);
    this.counter?.leave();
    const { call } = entry;
    call.answeredAt = Date.now();
    if (outcome === 'ok') {
      call.outcome = 'ok';
      entry.resolve(entry.apply());
    } else if (outcome instanceof Error) {
      call.outcome = 'threw';
      entry.reject(outcome);
    } else {
      const detail = typeof outcome === 'string' ? { error: outcome } : outcome;
      if (detail.applied) entry.apply();
      call.outcome = detail.error;
      entry.reject(
        new DriverError(detail.error, `fake lock ${this.name}: ${detail.error}`, detail.other_slot ?? null),
      );
    }
  }

  private reading(slot: number): SlotReading {
    const held = this.slots.get(slot);
    if (!held) return { slot, state: 'empty', code: null, origin: 'unknown', schedule: null };
    return {
      slot,
      state: 'enabled',
      code: this.allCaps.can_read_codes ? held.code : null,
      origin: held.origin,
      schedule: held.schedule,
    };
  }
}
