// Codes found on a lock that the bridge did not write.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { UnmanagedCode } from '../core/unmanaged-code.ts';

export class UnmanagedCodeRepository {
  private readonly byId: StatementSync;
  private readonly byDevice: StatementSync;
  private readonly upsertStmt: StatementSync;
  private readonly deleteStmt: StatementSync;

  constructor(db: DatabaseSync) {
    this.byId = db.prepare('SELECT * FROM unmanaged_codes WHERE access_code_id = ?');
    this.byDevice = db.prepare('SELECT * FROM unmanaged_codes WHERE device_id = ? ORDER BY slot');
    this.upsertStmt = db.prepare(
      `INSERT INTO unmanaged_codes (access_code_id, device_id, slot, code, created_at, delete_attempt_id)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(access_code_id) DO UPDATE SET slot = excluded.slot, code = excluded.code,
         delete_attempt_id = excluded.delete_attempt_id`,
    );
    this.deleteStmt = db.prepare('DELETE FROM unmanaged_codes WHERE access_code_id = ?');
  }

  get(id: string): UnmanagedCode | undefined {
    return this.byId.get(id) as UnmanagedCode | undefined;
  }

  forDevice(deviceId: string): UnmanagedCode[] {
    return this.byDevice.all(deviceId) as unknown as UnmanagedCode[];
  }

  save(u: UnmanagedCode): void {
    this.upsertStmt.run(u.access_code_id, u.device_id, u.slot, u.code, u.created_at, u.delete_attempt_id);
  }

  remove(id: string): void {
    this.deleteStmt.run(id);
  }
}
