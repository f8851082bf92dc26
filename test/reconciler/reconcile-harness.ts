// The reconciler on its own: an in-memory store, the write path, a Reconciler and FakeLocks wired
// to it the way src/devices/lock-registry.ts wires a driver's locks (no Bridge, no broker, no
// file). Codes are created and deleted the way the API routes do it, without the API: core
// transitions written through Changes.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Changes } from '../../src/changes/changes.ts';
import { type ManagedCode, newManagedCode } from '../../src/core/access-code.ts';
import { attemptSucceeded, pendingAttempt } from '../../src/core/action-attempt.ts';
import type { BackoffPolicy } from '../../src/core/backoff.ts';
import { connected, disconnected } from '../../src/core/device.ts';
import { created, deleted, type TimingPolicy, updated } from '../../src/core/lifecycle.ts';
import { changeDevice } from '../../src/devices/lock-reports.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { ReconcileContext } from '../../src/reconciler/context.ts';
import { Reconciler } from '../../src/reconciler/reconciler.ts';
import { Store } from '../../src/store/store.ts';
import type { FakeLock } from '../helpers/fake-lock.ts';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

class LogCapture extends Writable {
  readonly lines: LogLine[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (line !== '') this.lines.push(JSON.parse(line) as LogLine);
    }
    done();
  }
}

export interface HarnessOptions {
  maxParallelLocks?: number;
  timing?: TimingPolicy;
  backoff?: BackoffPolicy;
}

export class ReconcileHarness {
  readonly store = Store.inMemory('hub-test');
  /** Every log line, parsed (debug and up). */
  readonly log: LogLine[];
  readonly ctx: ReconcileContext;
  changes: Changes;
  reconciler: Reconciler;
  private readonly locks = new Map<string, FakeLock>();
  private readonly maxParallelLocks: number;

  constructor(options: HarnessOptions = {}) {
    const capture = new LogCapture();
    this.log = capture.lines;
    this.maxParallelLocks = options.maxParallelLocks ?? 8;
    this.changes = new Changes(this.store, Date.now);
    this.ctx = {
      store: this.store,
      changes: this.changes,
      log: createLogger({ level: 'debug', pretty: false, destination: capture }),
      now: Date.now,
      timing: options.timing ?? { delay_warning_after_ms: 60_000, fail_after_ms: 600_000 },
      backoff: options.backoff ?? { base_ms: 20, max_ms: 200 },
      windowPolicy: () => ({ lead_ms: 0, clock_trusted: true }),
    };
    this.reconciler = new Reconciler(this.ctx, this.maxParallelLocks);
  }

  /**
   * A lock reaches the bridge: its device (created the first time), attached, and connected now or
   * when it comes online, as LockRegistry.attach does. Returns the device_id.
   */
  addLock(lock: FakeLock): string {
    const { ctx, reconciler } = this;
    const deviceId = ctx.changes.deviceSeen(lock.identity, lock.driver, lock.name).device_id;
    this.locks.set(deviceId, lock);
    reconciler.attached(deviceId, lock);
    const online = () => {
      const caps = lock.capabilities;
      if (caps) changeDevice(ctx, deviceId, (device) => connected(device, caps));
      reconciler.connected(deviceId);
    };
    lock.on('online', online);
    lock.on('offline', (reason) => changeDevice(ctx, deviceId, (device) => disconnected(device, reason)));
    lock.on('rebooted', (factoryReset) => reconciler.rebooted(deviceId, factoryReset));
    lock.on('slot_changed', (slot, reading) => reconciler.slotChanged(deviceId, slot, reading));
    if (lock.online && lock.capabilities) online();
    return deviceId;
  }

  /**
   * The bridge restarts (the store and the locks stay): a fresh Changes and Reconciler, every lock
   * attached again, then wakeAll, as Bridge.boot does. Nothing may be in flight.
   */
  async restartBridge(): Promise<void> {
    await this.reconciler.stop();
    this.changes = new Changes(this.store, Date.now);
    this.ctx.changes = this.changes;
    this.reconciler = new Reconciler(this.ctx, this.maxParallelLocks);
    const locks = [...this.locks.values()];
    this.locks.clear();
    for (const lock of locks) {
      lock.removeAllListeners();
      this.addLock(lock);
    }
    this.reconciler.wakeAll();
  }

  /** What access_codes/create does: a new ongoing code, created, written through Changes. */
  createCode(deviceId: string, pin: string, fields: Partial<ManagedCode> = {}): string {
    const now = this.ctx.now();
    const code = newManagedCode({
      access_code_id: randomUUID(),
      device_id: deviceId,
      code: pin,
      created_at: now,
      ...fields,
    });
    this.changes.accessCode(created(code, now, this.ctx.windowPolicy()));
    return code.access_code_id;
  }

  /** What access_codes/update does with a new PIN: the code is programmed again. */
  updateCode(accessCodeId: string, pin: string): void {
    const current = this.store.codes.get(accessCodeId);
    if (!current) throw new Error(`no access code ${accessCodeId}`);
    this.changes.accessCode(
      updated(current, { ...current, code: pin }, this.ctx.now(), this.ctx.windowPolicy()),
    );
  }

  /** What access_codes/delete does: a tombstone if the code is (or may be) on the lock, else gone. */
  deleteCode(accessCodeId: string): void {
    const now = this.ctx.now();
    const code = this.store.codes.get(accessCodeId);
    if (!code) throw new Error(`no access code ${accessCodeId}`);
    const pending = pendingAttempt(randomUUID(), 'DELETE_ACCESS_CODE', code.device_id, accessCodeId, now);
    const onLock = this.store.slots.forDevice(code.device_id).some((s) => s.owner === accessCodeId);
    const transition = deleted(code, now, pending.action_attempt_id, onLock);
    const attempt = transition.gone ? attemptSucceeded(pending) : { attempt: pending, events: [] };
    this.changes.transaction(() => {
      this.changes.accessCode(transition);
      this.changes.attempt(attempt);
    });
  }

  /** A live code, or its tombstone while it is being removed; undefined once it is gone. */
  code(accessCodeId: string): ManagedCode | undefined {
    return this.store.codes.getAny(accessCodeId);
  }

  logged(msg: string, level?: number): LogLine[] {
    return this.log.filter((l) => l.msg === msg && (level === undefined || l.level === level));
  }

  /**
   * Stops the reconciler: commands still in flight fail as if the locks went away (a step waiting
   * for one would keep stop() waiting), then the store closes.
   */
  async stop(): Promise<void> {
    for (const lock of this.locks.values()) {
      lock.respondWith(() => 'offline');
      lock.removeAllListeners();
    }
    await this.reconciler.stop();
    this.store.close();
  }
}
