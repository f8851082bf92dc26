// The locks the drivers reach, by device_id. A lock gets its device_id the first time it is seen
// (by its driver identity) and keeps it. Connectivity and reports are written down here; what can
// mean work on the lock (it came back, rebooted, a slot changed at the keypad) is handed to the
// LockObserver, the reconciler, which this layer does not know.
import type { LockHandle } from '../../drivers/driver.ts';
import {
  added,
  connected,
  disconnected,
  type LockCapabilities,
  notYetHeard,
  removed,
} from '../core/device.ts';
import type { SlotReading } from '../core/slot.ts';
import type { DevicesContext } from './context.ts';
import {
  changeDevice,
  recordBattery,
  recordCodeUsed,
  recordDoor,
  recordLockState,
  recordWrongCode,
} from './lock-reports.ts';
import { ReportQueue } from './report-queue.ts';

/** Who acts on what a lock says about its slots (the reconciler). */
export interface LockObserver {
  /** A lock reaches its device now; it may come online later. */
  attached(deviceId: string, lock: LockHandle): void;
  /** The lock answers (again). */
  connected(deviceId: string): void;
  rebooted(deviceId: string, factoryReset: boolean): void;
  /** A slot was changed at the lock; the driver's reading of it, when it has one. */
  slotChanged(deviceId: string, slot: number, reading: SlotReading | null): void;
}

export class LockRegistry {
  private readonly locks = new Map<string, LockHandle>();

  /** Reports wait here while the store can't write. */
  readonly reports: ReportQueue;
  /** Locks that answer now (the log says each going offline once). */
  private readonly answering = new Set<string>();

  constructor(
    private readonly ctx: DevicesContext,
    private readonly observer: LockObserver,
  ) {
    this.reports = new ReportQueue(ctx.log);
  }

  /** At start nothing is known to answer: every device is offline until its driver says otherwise. */
  markAllOffline(): void {
    this.ctx.changes.transaction(() => {
      for (const device of this.ctx.store.devices.list()) {
        if (device.online) this.ctx.changes.device(notYetHeard(device));
      }
    });
  }

  get(deviceId: string): LockHandle | undefined {
    return this.locks.get(deviceId);
  }

  /** The devices of attached locks that do not answer now. */
  offline(): string[] {
    const ids: string[] = [];
    for (const [deviceId, lock] of this.locks) if (!lock.online) ids.push(deviceId);
    return ids;
  }

  /** How many attached locks answer now, and how many don't. */
  counts(): { online: number; offline: number } {
    let online = 0;
    for (const lock of this.locks.values()) if (lock.online) online++;
    return { online, offline: this.locks.size - online };
  }

  /** A driver reaches a lock: it gets (or finds) its device, and its reports are listened to. */
  attach(lock: LockHandle): void {
    // A new lock needs its device written: on a full disk that waits, like any report.
    this.reports.record(() => this.adopt(lock));
  }

  stop(): void {
    this.reports.stop();
  }

  private adopt(lock: LockHandle): void {
    const { ctx, observer } = this;
    const report = (write: () => void) => this.reports.record(write);
    const deviceId = ctx.changes.deviceSeen(lock.identity, lock.driver, lock.name).device_id;
    this.locks.set(deviceId, lock);
    observer.attached(deviceId, lock);
    ctx.log.info({ device_id: deviceId, driver: lock.driver, name: lock.name }, 'lock attached');

    const online = (caps: LockCapabilities) => {
      report(() => changeDevice(ctx, deviceId, (device) => connected(device, caps)));
      this.answering.add(deviceId);
      ctx.log.info({ device_id: deviceId }, 'lock online');
      observer.connected(deviceId);
    };
    lock.on('online', online);
    lock.on('offline', (reason) => {
      // Said once an outage, however often the driver repeats it.
      if (this.answering.delete(deviceId)) ctx.log.warn({ device_id: deviceId, reason }, 'lock offline');
      report(() => changeDevice(ctx, deviceId, (device) => disconnected(device, reason)));
    });
    lock.on('rebooted', (factoryReset) => {
      ctx.log.warn({ device_id: deviceId, factory_reset: factoryReset }, 'lock rebooted; reading its slots');
      observer.rebooted(deviceId, factoryReset);
    });
    lock.on('added', () => {
      report(() => changeDevice(ctx, deviceId, added));
      ctx.log.info({ device_id: deviceId }, 'lock joined its network');
    });
    lock.on('removed', (reason) => {
      report(() => changeDevice(ctx, deviceId, (device) => removed(device, reason, ctx.now())));
      ctx.log.warn({ device_id: deviceId, reason }, 'lock left its network; its codes stay in the store');
    });
    lock.on('slot_changed', (slot, reading) => observer.slotChanged(deviceId, slot, reading));
    lock.on('code_used', (slot, result) => report(() => recordCodeUsed(ctx, deviceId, slot, result)));
    lock.on('wrong_code', (attempts) => report(() => recordWrongCode(ctx, deviceId, attempts)));
    lock.on('lock_state', (state, source, slot) =>
      report(() => recordLockState(ctx, deviceId, state, source, slot)),
    );
    lock.on('battery', (level) => report(() => recordBattery(ctx, deviceId, level)));
    lock.on('door_state', (door) => report(() => recordDoor(ctx, deviceId, door)));
    if (lock.online && lock.capabilities) online(lock.capabilities);
  }
}
