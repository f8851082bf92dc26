// The locks the drivers reach, by device_id. A lock gets its device_id the first time it is seen
// (by its driver identity) and keeps it. Connectivity, reboots and keypad changes are handed to
// the reconciler; reports (battery, lock state, codes used) to lock-events.
import type { LockCapabilities, LockHandle } from '../../drivers/driver.ts';
import { resume } from '../core/lifecycle.ts';
import { appendEvents, type ReconcileContext, saveCode } from '../reconciler/context.ts';
import { recordSlotReading } from '../reconciler/observations.ts';
import type { Reconciler } from '../reconciler/reconciler.ts';
import { recordBattery, recordCodeUsed, recordDoor, recordLockState } from './lock-events.ts';

export class LockRegistry {
  private readonly locks = new Map<string, LockHandle>();

  constructor(
    private readonly ctx: ReconcileContext,
    private readonly reconciler: Reconciler,
  ) {}

  /** At start nothing is known to answer: every device is offline until its driver says otherwise. */
  markAllOffline(): void {
    this.ctx.store.tx.run(() => {
      for (const device of this.ctx.store.devices.list()) {
        if (!device.online) continue;
        const next = { ...device, online: false };
        this.ctx.store.devices.update(next);
        this.ctx.retained.device(next);
      }
    });
  }

  get(deviceId: string): LockHandle | undefined {
    return this.locks.get(deviceId);
  }

  attach(lock: LockHandle): string {
    const deviceId = this.ctx.store.tx.run(() => {
      const { device, created } = this.ctx.store.devices.ensure(
        lock.identity,
        lock.driver,
        lock.name,
        this.ctx.now(),
      );
      if (created) this.ctx.retained.device(device);
      return device.device_id;
    });
    this.locks.set(deviceId, lock);
    const worker = this.reconciler.worker(deviceId);
    worker.attach(lock);
    this.ctx.log.info({ device_id: deviceId, driver: lock.driver, name: lock.name }, 'lock attached');

    lock.on('online', (caps) => this.connected(deviceId, caps));
    lock.on('offline', (reason) => this.disconnected(deviceId, reason));
    lock.on('rebooted', (factoryReset) => {
      this.ctx.log.warn(
        { device_id: deviceId, factory_reset: factoryReset },
        'lock rebooted; reading its slots',
      );
      this.resumeSuspended(deviceId);
      worker.requestRead(factoryReset);
    });
    lock.on('slot_changed', (_slot, reading) => {
      if (reading) {
        recordSlotReading(this.ctx, deviceId, reading);
        worker.wake();
      } else {
        worker.requestRead(false);
      }
    });
    lock.on('code_used', (slot, result) => {
      if (recordCodeUsed(this.ctx, deviceId, slot, result)) this.reconciler.wake(deviceId);
    });
    lock.on('lock_state', (state, source, slot) => recordLockState(this.ctx, deviceId, state, source, slot));
    lock.on('battery', (level) => recordBattery(this.ctx, deviceId, level));
    lock.on('door_state', (door) =>
      recordDoor(this.ctx, deviceId, door === 'unknown' ? null : door === 'open'),
    );
    if (lock.online && lock.capabilities) this.connected(deviceId, lock.capabilities);
    return deviceId;
  }

  private connected(deviceId: string, caps: LockCapabilities): void {
    this.ctx.store.tx.run(() => {
      const device = this.ctx.store.devices.get(deviceId)!;
      const next = { ...device, online: true, capabilities: caps };
      this.ctx.store.devices.update(next);
      this.ctx.retained.device(next);
      if (!device.online) appendEvents(this.ctx, [{ event_type: 'device.connected', device_id: deviceId }]);
    });
    this.ctx.log.info({ device_id: deviceId }, 'lock online');
    this.resumeSuspended(deviceId);
    // Read every slot on connect: changes made while nobody listened are found, nothing is rewritten.
    this.reconciler.worker(deviceId).requestRead(false);
  }

  private disconnected(deviceId: string, reason: string): void {
    this.ctx.store.tx.run(() => {
      const device = this.ctx.store.devices.get(deviceId)!;
      if (!device.online) return;
      const next = { ...device, online: false };
      this.ctx.store.devices.update(next);
      this.ctx.retained.device(next);
      appendEvents(this.ctx, [
        { event_type: 'device.disconnected', device_id: deviceId, fields: { reason } },
      ]);
    });
    this.ctx.log.warn({ device_id: deviceId, reason }, 'lock offline');
  }

  /** Codes that stopped trying because the lock did not answer get another chance. */
  private resumeSuspended(deviceId: string): void {
    this.ctx.store.tx.run(() => {
      for (const code of this.ctx.store.codes.liveForDevice(deviceId)) {
        if (!code.suspended || !code.errors.some((e) => e.error_code === 'failed_to_set_on_device')) continue;
        saveCode(this.ctx, resume(code, this.ctx.now()), []);
      }
    });
  }
}
