// Devices the bridge has seen, keyed by a UUID it assigns once and by the driver's stable identity.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Device, DriverKind, LockCapabilities } from '../core/device.ts';

interface DeviceRow {
  device_id: string;
  identity: string;
  driver: string;
  name: string;
  capabilities: string | null;
  online: number;
  locked: string | null;
  door: string | null;
  battery_level: number | null;
  slots_read_at: number | null;
  full_read_from: number | null;
  removed_at: number | null;
  created_at: number;
}

const fromRow = (row: DeviceRow): Device => ({
  device_id: row.device_id,
  identity: row.identity,
  driver: row.driver as DriverKind,
  name: row.name,
  capabilities: row.capabilities ? (JSON.parse(row.capabilities) as LockCapabilities) : null,
  online: row.online === 1,
  // One column for the bolt: 'locked', 'unlocked', 'jammed' or null (unknown).
  locked: row.locked === 'locked' ? true : row.locked === 'unlocked' ? false : null,
  jammed: row.locked === 'jammed',
  door_open: row.door === null ? null : row.door === 'open',
  battery_level: row.battery_level,
  slots_read_at: row.slots_read_at,
  full_read_from: row.full_read_from,
  removed_at: row.removed_at,
  created_at: row.created_at,
});

export class DeviceRepository {
  private readonly byId: StatementSync;
  private readonly byIdentityStmt: StatementSync;
  private readonly all: StatementSync;
  private readonly insertStmt: StatementSync;
  private readonly updateStmt: StatementSync;

  constructor(db: DatabaseSync) {
    this.byId = db.prepare('SELECT * FROM devices WHERE device_id = ?');
    this.byIdentityStmt = db.prepare('SELECT * FROM devices WHERE identity = ?');
    this.all = db.prepare('SELECT * FROM devices ORDER BY created_at, device_id');
    this.insertStmt = db.prepare(
      `INSERT INTO devices (device_id, identity, driver, name, created_at) VALUES (?, ?, ?, ?, ?)`,
    );
    this.updateStmt = db.prepare(
      `UPDATE devices SET name = ?, capabilities = ?, online = ?, locked = ?, door = ?, battery_level = ?,
         slots_read_at = ?, full_read_from = ?, removed_at = ? WHERE device_id = ?`,
    );
  }

  get(deviceId: string): Device | undefined {
    const row = this.byId.get(deviceId) as DeviceRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  byIdentity(identity: string): Device | undefined {
    const row = this.byIdentityStmt.get(identity) as DeviceRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(): Device[] {
    return (this.all.all() as unknown as DeviceRow[]).map(fromRow);
  }

  /** The device for a driver identity, created (offline, never read) the first time it is seen. */
  ensure(
    identity: string,
    driver: DriverKind,
    name: string,
    now: number,
  ): { device: Device; created: boolean } {
    const existing = this.byIdentity(identity);
    if (existing) return { device: existing, created: false };
    this.insertStmt.run(randomUUID(), identity, driver, name, now);
    return { device: this.byIdentity(identity)!, created: true };
  }

  save(device: Device): void {
    this.updateStmt.run(
      device.name,
      device.capabilities ? JSON.stringify(device.capabilities) : null,
      device.online ? 1 : 0,
      device.jammed ? 'jammed' : device.locked === null ? null : device.locked ? 'locked' : 'unlocked',
      device.door_open === null ? null : device.door_open ? 'open' : 'closed',
      device.battery_level,
      device.slots_read_at,
      device.full_read_from,
      device.removed_at,
      device.device_id,
    );
  }
}
