// Codes found on a lock that the bridge did not write.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { UnmanagedCode } from '../core/unmanaged-code.ts';
import { DeviceCache } from './device-cache.ts';
import type { Transactor } from './transaction.ts';

export class UnmanagedCodeRepository {
  private readonly byId: StatementSync;
  private readonly byDevice: StatementSync;
  private readonly upsertStmt: StatementSync;
  private readonly deleteStmt: StatementSync;
  private readonly cache: DeviceCache<string, UnmanagedCode>;

  constructor(db: DatabaseSync, tx: Transactor) {
    this.byId = db.prepare('SELECT * FROM unmanaged_codes WHERE access_code_id = ?');
    this.byDevice = db.prepare('SELECT * FROM unmanaged_codes WHERE device_id = ? ORDER BY slot');
    this.upsertStmt = db.prepare(
      `INSERT INTO unmanaged_codes (access_code_id, device_id, slot, code, created_at, delete_attempt_id)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(access_code_id) DO UPDATE SET slot = excluded.slot, code = excluded.code,
         delete_attempt_id = excluded.delete_attempt_id`,
    );
    this.deleteStmt = db.prepare('DELETE FROM unmanaged_codes WHERE access_code_id = ?');
    this.cache = new DeviceCache((deviceId) =>
      (this.byDevice.all(deviceId) as unknown as UnmanagedCode[]).map((u) => [u.access_code_id, { ...u }]),
    );
    tx.onRollback(() => this.cache.clear());
  }

  get(id: string): UnmanagedCode | undefined {
    return this.byId.get(id) as UnmanagedCode | undefined;
  }

  /** In slot order. */
  forDevice(deviceId: string): UnmanagedCode[] {
    return [...this.cache.rows(deviceId).values()].sort((a, b) => a.slot - b.slot);
  }

  save(u: UnmanagedCode): void {
    this.upsertStmt.run(u.access_code_id, u.device_id, u.slot, u.code, u.created_at, u.delete_attempt_id);
    this.cache.set(u.device_id, u.access_code_id, u);
  }

  remove(id: string): void {
    const record = this.get(id);
    this.deleteStmt.run(id);
    if (record) this.cache.delete(record.device_id, id);
  }
}
