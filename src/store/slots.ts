// Observed slots: what the bridge knows is on each lock. An absent row is an empty, unowned slot.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ObservedSlot } from '../core/slot.ts';

interface SlotRow {
  slot: number;
  state: string;
  code: string | null;
  starts_at: number | null;
  ends_at: number | null;
  owner: string | null;
  confirmed: number;
  unmanaged_id: string | null;
}

const fromRow = (row: SlotRow): ObservedSlot => ({
  slot: row.slot,
  state: row.state as ObservedSlot['state'],
  code: row.code,
  schedule:
    row.starts_at !== null && row.ends_at !== null
      ? { starts_at: row.starts_at, ends_at: row.ends_at }
      : null,
  owner: row.owner,
  confirmed: row.confirmed === 1,
  unmanaged_id: row.unmanaged_id,
});

const isPlainEmpty = (s: ObservedSlot) => s.state === 'empty' && s.owner === null && s.unmanaged_id === null;

export class SlotRepository {
  private readonly forDeviceStmt: StatementSync;
  private readonly oneStmt: StatementSync;
  private readonly upsertStmt: StatementSync;
  private readonly deleteStmt: StatementSync;
  private readonly deleteAllStmt: StatementSync;

  constructor(db: DatabaseSync) {
    this.forDeviceStmt = db.prepare('SELECT * FROM slots WHERE device_id = ? ORDER BY slot');
    this.oneStmt = db.prepare('SELECT * FROM slots WHERE device_id = ? AND slot = ?');
    this.upsertStmt = db.prepare(
      `INSERT INTO slots (device_id, slot, state, code, starts_at, ends_at, owner, confirmed, unmanaged_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(device_id, slot) DO UPDATE SET state = excluded.state, code = excluded.code,
         starts_at = excluded.starts_at, ends_at = excluded.ends_at, owner = excluded.owner,
         confirmed = excluded.confirmed, unmanaged_id = excluded.unmanaged_id`,
    );
    this.deleteStmt = db.prepare('DELETE FROM slots WHERE device_id = ? AND slot = ?');
    this.deleteAllStmt = db.prepare('DELETE FROM slots WHERE device_id = ?');
  }

  forDevice(deviceId: string): ObservedSlot[] {
    return (this.forDeviceStmt.all(deviceId) as unknown as SlotRow[]).map(fromRow);
  }

  get(deviceId: string, slot: number): ObservedSlot | undefined {
    const row = this.oneStmt.get(deviceId, slot) as SlotRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  put(deviceId: string, s: ObservedSlot): void {
    if (isPlainEmpty(s)) {
      this.deleteStmt.run(deviceId, s.slot);
      return;
    }
    this.upsertStmt.run(
      deviceId,
      s.slot,
      s.state,
      s.code,
      s.schedule?.starts_at ?? null,
      s.schedule?.ends_at ?? null,
      s.owner,
      s.confirmed ? 1 : 0,
      s.unmanaged_id,
    );
  }

  replaceAll(deviceId: string, slots: readonly ObservedSlot[]): void {
    this.deleteAllStmt.run(deviceId);
    for (const s of slots) this.put(deviceId, s);
  }
}
