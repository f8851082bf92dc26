// Managed access codes: the desired state. Deleted codes stay as tombstones until their slot is clear.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AccessCodeStatus, AccessCodeType, ManagedCode } from '../core/access-code.ts';
import { DeviceCache } from './device-cache.ts';
import type { Transactor } from './transaction.ts';

interface CodeRow {
  access_code_id: string;
  device_id: string;
  name: string | null;
  code: string;
  type: string;
  starts_at: number | null;
  ends_at: number | null;
  status: string;
  is_scheduled_on_device: number;
  allow_external_modification: number;
  is_one_time_use: number;
  prefer_native_scheduling: number;
  common_code_key: string | null;
  created_at: number;
  errors: string;
  warnings: string;
  deleted_at: number | null;
  delete_attempt_id: string | null;
  pending_since: number | null;
  revision: number;
  suspended: number;
}

const fromRow = (row: CodeRow): ManagedCode => ({
  access_code_id: row.access_code_id,
  device_id: row.device_id,
  name: row.name,
  code: row.code,
  type: row.type as AccessCodeType,
  window:
    row.starts_at !== null && row.ends_at !== null
      ? { starts_at: row.starts_at, ends_at: row.ends_at }
      : null,
  status: row.status as AccessCodeStatus,
  is_scheduled_on_device: row.is_scheduled_on_device === 1,
  allow_external_modification: row.allow_external_modification === 1,
  is_one_time_use: row.is_one_time_use === 1,
  prefer_native_scheduling: row.prefer_native_scheduling === 1,
  common_code_key: row.common_code_key,
  created_at: row.created_at,
  errors: JSON.parse(row.errors),
  warnings: JSON.parse(row.warnings),
  deleted_at: row.deleted_at,
  delete_attempt_id: row.delete_attempt_id,
  pending_since: row.pending_since,
  revision: row.revision,
  suspended: row.suspended === 1,
});

const COLUMNS = [
  'access_code_id',
  'device_id',
  'name',
  'code',
  'type',
  'starts_at',
  'ends_at',
  'status',
  'is_scheduled_on_device',
  'allow_external_modification',
  'is_one_time_use',
  'prefer_native_scheduling',
  'common_code_key',
  'created_at',
  'errors',
  'warnings',
  'deleted_at',
  'delete_attempt_id',
  'pending_since',
  'revision',
  'suspended',
] as const;

const toRow = (c: ManagedCode): CodeRow => ({
  access_code_id: c.access_code_id,
  device_id: c.device_id,
  name: c.name,
  code: c.code,
  type: c.type,
  starts_at: c.window?.starts_at ?? null,
  ends_at: c.window?.ends_at ?? null,
  status: c.status,
  is_scheduled_on_device: c.is_scheduled_on_device ? 1 : 0,
  allow_external_modification: c.allow_external_modification ? 1 : 0,
  is_one_time_use: c.is_one_time_use ? 1 : 0,
  prefer_native_scheduling: c.prefer_native_scheduling ? 1 : 0,
  common_code_key: c.common_code_key,
  created_at: c.created_at,
  errors: JSON.stringify(c.errors),
  warnings: JSON.stringify(c.warnings),
  deleted_at: c.deleted_at,
  delete_attempt_id: c.delete_attempt_id,
  pending_since: c.pending_since,
  revision: c.revision,
  suspended: c.suspended ? 1 : 0,
});

export class AccessCodeRepository {
  private readonly byId: StatementSync;
  private readonly byDevice: StatementSync;
  private readonly upsertStmt: StatementSync;
  private readonly deleteStmt: StatementSync;
  private readonly devicesWithWork: StatementSync;
  private readonly nextBoundaryStmt: StatementSync;
  private readonly devicesDueStmt: StatementSync;
  private readonly devicesWaitingStmt: StatementSync;
  /** Every code of a device, tombstones included, once asked for; and which device holds an id. */
  private readonly cache: DeviceCache<string, ManagedCode>;
  private readonly deviceOf = new Map<string, string>();

  constructor(db: DatabaseSync, tx: Transactor) {
    this.byId = db.prepare('SELECT * FROM access_codes WHERE access_code_id = ?');
    this.byDevice = db.prepare(
      'SELECT * FROM access_codes WHERE device_id = ? ORDER BY created_at, access_code_id',
    );
    const placeholders = COLUMNS.map((c) => `:${c}`).join(', ');
    const updates = COLUMNS.filter((c) => c !== 'access_code_id')
      .map((c) => `${c} = excluded.${c}`)
      .join(', ');
    this.upsertStmt = db.prepare(
      `INSERT INTO access_codes (${COLUMNS.join(', ')}) VALUES (${placeholders})
       ON CONFLICT(access_code_id) DO UPDATE SET ${updates}`,
    );
    this.deleteStmt = db.prepare('DELETE FROM access_codes WHERE access_code_id = ?');
    this.devicesWithWork = db.prepare('SELECT DISTINCT device_id FROM access_codes');
    // A window boundary is when a code must go on (starts_at - lead) or come off (ends_at). Written
    // as ranges on the columns themselves, so the indexes of migration 3 answer them.
    this.nextBoundaryStmt = db.prepare(
      `SELECT MIN(b) AS at FROM (
         SELECT MIN(starts_at) - :lead AS b FROM access_codes WHERE deleted_at IS NULL AND starts_at > :after + :lead
         UNION ALL SELECT MIN(ends_at) FROM access_codes WHERE deleted_at IS NULL AND ends_at > :after)`,
    );
    this.devicesDueStmt = db.prepare(
      `SELECT device_id FROM access_codes WHERE deleted_at IS NULL AND starts_at > :from + :lead AND starts_at <= :to + :lead
       UNION SELECT device_id FROM access_codes WHERE deleted_at IS NULL AND ends_at > :from AND ends_at <= :to`,
    );
    this.devicesWaitingStmt = db.prepare(
      'SELECT DISTINCT device_id FROM access_codes WHERE pending_since IS NOT NULL',
    );
    this.cache = new DeviceCache((deviceId) =>
      (this.byDevice.all(deviceId) as unknown as CodeRow[]).map((row) => {
        const code = fromRow(row);
        this.deviceOf.set(code.access_code_id, deviceId);
        return [code.access_code_id, code];
      }),
    );
    tx.onRollback(() => {
      this.cache.clear();
      this.deviceOf.clear();
    });
  }

  /** A live (not deleted) code. */
  get(accessCodeId: string): ManagedCode | undefined {
    const code = this.getAny(accessCodeId);
    return code && code.deleted_at === null ? code : undefined;
  }

  /** A code, tombstones included. */
  getAny(accessCodeId: string): ManagedCode | undefined {
    const deviceId = this.deviceOf.get(accessCodeId);
    const cached = deviceId === undefined ? undefined : this.cache.peek(deviceId)?.get(accessCodeId);
    if (cached) return cached;
    const row = this.byId.get(accessCodeId) as CodeRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Every code of a device, tombstones included, oldest first: what the reconciler works from. */
  forDevice(deviceId: string): ManagedCode[] {
    return [...this.cache.rows(deviceId).values()];
  }

  liveForDevice(deviceId: string): ManagedCode[] {
    return this.forDevice(deviceId).filter((code) => code.deleted_at === null);
  }

  save(code: ManagedCode): void {
    this.upsertStmt.run(toRow(code) as unknown as Record<string, string | number | null>);
    const rows = this.cache.peek(code.device_id);
    if (rows) {
      rows.set(code.access_code_id, code);
      this.deviceOf.set(code.access_code_id, code.device_id);
    }
  }

  remove(accessCodeId: string): void {
    this.deleteStmt.run(accessCodeId);
    const deviceId = this.deviceOf.get(accessCodeId);
    if (deviceId !== undefined) this.cache.delete(deviceId, accessCodeId);
    this.deviceOf.delete(accessCodeId);
  }

  /** The first window boundary after `after`, over every code: one timer serves them all. */
  nextWindowBoundary(after: number, leadMs: number): number | null {
    const row = this.nextBoundaryStmt.get({ lead: leadMs, after }) as { at: number | null };
    return row.at;
  }

  /** Devices with a window boundary in (from, to]. */
  devicesWithBoundary(from: number, to: number, leadMs: number): string[] {
    return (this.devicesDueStmt.all({ lead: leadMs, from, to }) as Array<{ device_id: string }>).map(
      (r) => r.device_id,
    );
  }

  /** Devices with a code waiting for its lock (setting or removing): their delays run. */
  devicesWaiting(): string[] {
    return (this.devicesWaitingStmt.all() as Array<{ device_id: string }>).map((r) => r.device_id);
  }

  deviceIds(): string[] {
    return (this.devicesWithWork.all() as Array<{ device_id: string }>).map((r) => r.device_id);
  }
}
