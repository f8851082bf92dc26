// Observed slots: what the bridge knows is on each lock. An absent row is an empty, unowned slot.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { isPlainEmpty, type ObservedSlot } from '../core/slot.ts';
import { DeviceCache } from './device-cache.ts';
import type { Transactor } from './transaction.ts';

/** A row as read: the values of COLUMNS, in that order (arrays: see access-codes.ts's CodeValues). */
type SlotValues = [
  slot: number,
  state: string,
  code: string | null,
  starts_at: number | null,
  ends_at: number | null,
  owner: string | null,
  unmanaged_id: string | null,
  pending_owner: string | null,
  pending_code: string | null,
  pending_starts_at: number | null,
  pending_ends_at: number | null,
];

const COLUMNS = [
  'slot',
  'state',
  'code',
  'starts_at',
  'ends_at',
  'owner',
  'unmanaged_id',
  'pending_owner',
  'pending_code',
  'pending_starts_at',
  'pending_ends_at',
].join(', ');

const window = (starts_at: number | null, ends_at: number | null) =>
  starts_at !== null && ends_at !== null ? { starts_at, ends_at } : null;

const fromValues = ([
  slot,
  state,
  code,
  starts_at,
  ends_at,
  owner,
  unmanaged_id,
  pending_owner,
  pending_code,
  pending_starts_at,
  pending_ends_at,
]: SlotValues): ObservedSlot => ({
  slot,
  state: state as ObservedSlot['state'],
  code,
  schedule: window(starts_at, ends_at),
  owner,
  unmanaged_id,
  pending:
    pending_owner !== null && pending_code !== null
      ? { owner: pending_owner, code: pending_code, schedule: window(pending_starts_at, pending_ends_at) }
      : null,
});

export class SlotRepository {
  private readonly forDeviceStmt: StatementSync;
  private readonly oneStmt: StatementSync;
  private readonly upsertStmt: StatementSync;
  private readonly deleteStmt: StatementSync;
  private readonly deleteAllStmt: StatementSync;
  private readonly cache: DeviceCache<number, ObservedSlot>;

  constructor(db: DatabaseSync, tx: Transactor) {
    this.forDeviceStmt = db.prepare(`SELECT ${COLUMNS} FROM slots WHERE device_id = ? ORDER BY slot`);
    this.forDeviceStmt.setReturnArrays(true);
    this.oneStmt = db.prepare(`SELECT ${COLUMNS} FROM slots WHERE device_id = ? AND slot = ?`);
    this.oneStmt.setReturnArrays(true);
    this.upsertStmt = db.prepare(
      `INSERT INTO slots (device_id, slot, state, code, starts_at, ends_at, owner, unmanaged_id,
         pending_owner, pending_code, pending_starts_at, pending_ends_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(device_id, slot) DO UPDATE SET state = excluded.state, code = excluded.code,
         starts_at = excluded.starts_at, ends_at = excluded.ends_at, owner = excluded.owner,
         unmanaged_id = excluded.unmanaged_id, pending_owner = excluded.pending_owner,
         pending_code = excluded.pending_code, pending_starts_at = excluded.pending_starts_at,
         pending_ends_at = excluded.pending_ends_at`,
    );
    this.deleteStmt = db.prepare('DELETE FROM slots WHERE device_id = ? AND slot = ?');
    this.deleteAllStmt = db.prepare('DELETE FROM slots WHERE device_id = ?');
    this.cache = new DeviceCache(
      (deviceId) =>
        (this.forDeviceStmt.all(deviceId) as unknown as SlotValues[]).map((values) => [
          values[0],
          fromValues(values),
        ]),
      { order: (a, b) => a.slot - b.slot },
    );
    tx.onRollback(() => this.cache.clear());
  }

  /** The slots the bridge knows something of, in slot order. */
  forDevice(deviceId: string): readonly ObservedSlot[] {
    return this.cache.list(deviceId);
  }

  /** The device's slots by number (shared, read-only): what is taken, without a copy. */
  byNumber(deviceId: string): ReadonlyMap<number, ObservedSlot> {
    return this.cache.rows(deviceId);
  }

  get(deviceId: string, slot: number): ObservedSlot | undefined {
    const rows = this.cache.peek(deviceId);
    if (rows) return rows.get(slot);
    const values = this.oneStmt.get(deviceId, slot) as unknown as SlotValues | undefined;
    return values ? fromValues(values) : undefined;
  }

  put(deviceId: string, s: ObservedSlot): void {
    if (isPlainEmpty(s)) {
      this.deleteStmt.run(deviceId, s.slot);
      this.cache.delete(deviceId, s.slot);
      return;
    }
    this.cache.set(deviceId, s.slot, s);
    this.upsertStmt.run(
      deviceId,
      s.slot,
      s.state,
      s.code,
      s.schedule?.starts_at ?? null,
      s.schedule?.ends_at ?? null,
      s.owner,
      s.unmanaged_id,
      s.pending?.owner ?? null,
      s.pending?.code ?? null,
      s.pending?.schedule?.starts_at ?? null,
      s.pending?.schedule?.ends_at ?? null,
    );
  }

  replaceAll(deviceId: string, slots: readonly ObservedSlot[]): void {
    this.deleteAllStmt.run(deviceId);
    this.cache.empty(deviceId);
    for (const s of slots) this.put(deviceId, s);
  }
}
