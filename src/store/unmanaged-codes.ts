// Codes found on a lock that the bridge did not write.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export interface UnmanagedCodeRecord {
  access_code_id: string;
  device_id: string;
  slot: number;
  code: string | null;
  created_at: number;
  /** The DELETE_UNMANAGED_ACCESS_CODE attempt waiting for the slot to be cleared. */
  delete_attempt_id: string | null;
}

export class UnmanagedCodeRepository {
  private readonly byId: StatementSync;
  private readonly byDevice: StatementSync;
  private readonly insertStmt: StatementSync;
  private readonly updateCodeStmt: StatementSync;
  private readonly deleteStmt: StatementSync;
  private readonly deletingStmt: StatementSync;

  constructor(db: DatabaseSync) {
    this.byId = db.prepare('SELECT * FROM unmanaged_codes WHERE access_code_id = ?');
    this.byDevice = db.prepare('SELECT * FROM unmanaged_codes WHERE device_id = ? ORDER BY slot');
    this.insertStmt = db.prepare(
      'INSERT INTO unmanaged_codes (access_code_id, device_id, slot, code, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.updateCodeStmt = db.prepare('UPDATE unmanaged_codes SET code = ? WHERE access_code_id = ?');
    this.deleteStmt = db.prepare('DELETE FROM unmanaged_codes WHERE access_code_id = ?');
    this.deletingStmt = db.prepare(
      'UPDATE unmanaged_codes SET delete_attempt_id = ? WHERE access_code_id = ?',
    );
  }

  get(id: string): UnmanagedCodeRecord | undefined {
    return this.byId.get(id) as UnmanagedCodeRecord | undefined;
  }

  forDevice(deviceId: string): UnmanagedCodeRecord[] {
    return this.byDevice.all(deviceId) as unknown as UnmanagedCodeRecord[];
  }

  add(deviceId: string, slot: number, code: string | null, now: number): UnmanagedCodeRecord {
    const id = randomUUID();
    this.insertStmt.run(id, deviceId, slot, code, now);
    return this.get(id)!;
  }

  updateCode(id: string, code: string | null): void {
    this.updateCodeStmt.run(code, id);
  }

  /** Asked to be taken off the lock: the reconciler clears its slot. */
  markDeleting(id: string, attemptId: string): void {
    this.deletingStmt.run(attemptId, id);
  }

  remove(id: string): void {
    this.deleteStmt.run(id);
  }
}
