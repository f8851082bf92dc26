// Serial locks on real pseudo-terminals for the tests: socat links in a fresh temp dir, a lockwire
// simulator on one end, the real SerialDriver on the other, and a log that keeps every line so the
// tests can read what was said (and check no PIN was).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino, { type Logger } from 'pino';
import type { LockEvents, LockHandle } from '../../../drivers/driver.ts';
import { SerialDriver, type SerialDriverOptions } from '../../../drivers/serial/serial-driver.ts';
import {
  LockSimulator,
  type LockSimulatorOptions,
} from '../../../drivers/serial/simulator/lock-simulator.ts';
import { PtyPair } from '../../../drivers/serial/simulator/pty-pair.ts';

export const FAST: SerialDriverOptions = {
  probe_min_ms: 20,
  probe_max_ms: 100,
  reopen_min_ms: 20,
  reopen_max_ms: 60,
  watch_ms: 50,
};

export const lockOptions = (
  serial: string,
  options: Partial<LockSimulatorOptions> = {},
): LockSimulatorOptions => ({
  slots: 30,
  min_code_length: 4,
  max_code_length: 8,
  can_read_codes: true,
  supports_native_scheduling: true,
  has_clock: true,
  serial_number: serial,
  firmware: '1.4.2',
  event_resend_ms: 100,
  ...options,
});

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export class Bench {
  readonly lines: LogLine[] = [];
  readonly log: Logger;
  private readonly cleanups: (() => Promise<void>)[] = [];
  private constructor(readonly dir: string) {
    this.log = pino({ level: 'debug' }, { write: (line: string) => this.lines.push(JSON.parse(line)) });
  }

  static async create(): Promise<Bench> {
    return new Bench(await mkdtemp(join(tmpdir(), 'lockwire-test-')));
  }

  /** A socat pair in this bench's dir, plugged, unplugged at cleanup. */
  async pair(name: string, plug = true): Promise<PtyPair> {
    const pair = new PtyPair(join(this.dir, `${name}-host`), join(this.dir, `${name}-lock`));
    this.cleanups.push(() => pair.unplug());
    if (plug) await pair.plug();
    return pair;
  }

  /** A simulator, opened on `path` when given, closed at cleanup. */
  async simulator(options: LockSimulatorOptions, path?: string): Promise<LockSimulator> {
    const sim = new LockSimulator(options);
    this.cleanups.push(() => sim.close());
    if (path !== undefined) await sim.open(path);
    return sim;
  }

  /** A started driver whose locks are collected as they are announced; stopped at cleanup. */
  async driver(
    locks: { name: string; path: string; response_timeout_ms?: number }[],
    options: SerialDriverOptions = FAST,
    /** Called as each lock is announced, before it can emit anything. */
    listen: (lock: LockHandle) => void = () => undefined,
  ): Promise<{ driver: SerialDriver; announced: LockHandle[] }> {
    const driver = new SerialDriver(
      locks.map((l) => ({
        name: l.name,
        serial: { path: l.path, baud_rate: 115200, response_timeout_ms: l.response_timeout_ms ?? 200 },
      })),
      this.log,
      options,
    );
    const announced: LockHandle[] = [];
    this.cleanups.push(() => driver.stop());
    await driver.start((lock) => {
      announced.push(lock);
      listen(lock);
    });
    return { driver, announced };
  }

  logged(text: string): LogLine[] {
    return this.lines.filter((line) => line.msg.includes(text));
  }

  async cleanup(): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) await cleanup();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Waits until `check` holds (tests have their own timeout; no timing is asserted). */
export async function until(check: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i > 2000) throw new Error(`gave up waiting for ${what}`);
    await sleep(5);
  }
}

/** The next emission of `event` by `lock`. */
export function next<K extends keyof LockEvents>(lock: LockHandle, event: K): Promise<LockEvents[K]> {
  return new Promise((resolve) => {
    (lock as unknown as NodeJS.EventEmitter).once(event, (...args: unknown[]) =>
      resolve(args as LockEvents[K]),
    );
  });
}

/** Every emission of the events listed, in order, as [event, ...args]. */
export function record(lock: LockHandle, events: (keyof LockEvents)[]): unknown[][] {
  const seen: unknown[][] = [];
  for (const event of events) {
    (lock as unknown as NodeJS.EventEmitter).on(event, (...args: unknown[]) => seen.push([event, ...args]));
  }
  return seen;
}
