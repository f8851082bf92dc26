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

/** Most codes have no errors or warnings: they share one empty list (codes are never changed in place). */
const NONE: never[] = Object.freeze([]) as unknown as never[];
const parseList = (json: string) => (json === '[]' ? NONE : JSON.parse(json));

/**
 * A row as read: the values of COLUMNS, in that order. node:sqlite makes each row object property
 * by property, slow to make and slow to read (a lock's hundred codes: 0.5 ms instead of 0.2); an
 * array destructured here costs a third of that.
 */
type CodeValues = [
  access_code_id: string,
  device_id: string,
  name: string | null,
  code: string,
  type: string,
  starts_at: number | null,
  ends_at: number | null,
  status: string,
  is_scheduled_on_device: number,
  allow_external_modification: number,
  is_one_time_use: number,
  prefer_native_scheduling: number,
  common_code_key: string | null,
  created_at: number,
  errors: string,
  warnings: string,
  deleted_at: number | null,
  delete_attempt_id: string | null,
  pending_since: number | null,
  revision: number,
  suspended: number,
];

const fromValues = ([
  access_code_id,
  device_id,
  name,
  code,
  type,
  starts_at,
  ends_at,
  status,
  is_scheduled_on_device,
  allow_external_modification,
  is_one_time_use,
  prefer_native_scheduling,
  common_code_key,
  created_at,
  errors,
  warnings,
  deleted_at,
  delete_attempt_id,
  pending_since,
  revision,
  suspended,
]: CodeValues): ManagedCode => ({
  access_code_id,
  device_id,
  name,
  code,
  type: type as AccessCodeType,
  window: starts_at !== null && ends_at !== null ? { starts_at, ends_at } : null,
  status: status as AccessCodeStatus,
  is_scheduled_on_device: is_scheduled_on_device === 1,
  allow_external_modification: allow_external_modification === 1,
  is_one_time_use: is_one_time_use === 1,
  prefer_native_scheduling: prefer_native_scheduling === 1,
  common_code_key,
  created_at,
  errors: parseList(errors),
  warnings: parseList(warnings),
  deleted_at,
  delete_attempt_id,
  pending_since,
  revision,
  suspended: suspended === 1,
});

/** The table's columns: what is written, and what is read, in this order (CodeValues). */
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
  private readonly countsStmt: StatementSync;
  private readonly suspendedStmt: StatementSync;
  private readonly timedStmt: StatementSync;
  /** Every code of the devices asked for lately, tombstones included; and which device holds an id. */
  private readonly cache: DeviceCache<string, ManagedCode>;
  private readonly deviceOf = new Map<string, string>();

  constructor(db: DatabaseSync, tx: Transactor) {
    const select = `SELECT ${COLUMNS.join(', ')} FROM access_codes`;
    const arrays = (sql: string) => {
      const statement = db.prepare(sql);
      statement.setReturnArrays(true);
      return statement;
    };
    this.byId = arrays(`${select} WHERE access_code_id = ?`);
    this.byDevice = arrays(`${select} WHERE device_id = ? ORDER BY created_at, access_code_id`);
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
    // Home Assistant's counts: failed while a code has errors, else set once confirmed, pending
    // while the lock works on it; a code waiting for its window (unset) is in none.
    this.countsStmt = db.prepare(
      `SELECT coalesce(sum(errors <> '[]'), 0) AS failed,
              coalesce(sum(errors = '[]' AND status = 'set'), 0) AS "set",
              coalesce(sum(errors = '[]' AND status IN ('setting', 'removing', 'unknown')), 0) AS pending
       FROM access_codes WHERE device_id = ? AND deleted_at IS NULL`,
    );
    this.suspendedStmt = arrays(
      `${select} WHERE device_id = ? AND suspended = 1 AND deleted_at IS NULL ORDER BY created_at, access_code_id`,
    );
    this.timedStmt = db.prepare(
      'SELECT 1 AS yes FROM access_codes WHERE device_id = ? AND ((starts_at IS NOT NULL AND ends_at IS NOT NULL) OR pending_since IS NOT NULL) LIMIT 1',
    );
    this.cache = new DeviceCache(
      (deviceId) =>
        (this.byDevice.all(deviceId) as unknown as CodeValues[]).map((values) => {
          const code = fromValues(values);
          this.deviceOf.set(code.access_code_id, deviceId);
          return [code.access_code_id, code];
        }),
      {
        onEvict: (_deviceId, rows) => {
          for (const id of rows.keys()) this.deviceOf.delete(id);
        },
      },
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
    const values = this.byId.get(accessCodeId) as unknown as CodeValues | undefined;
    return values ? fromValues(values) : undefined;
  }

  /** Every code of a device, tombstones included, oldest first: what the reconciler works from. */
  forDevice(deviceId: string): readonly ManagedCode[] {
    return this.cache.list(deviceId);
  }

  liveForDevice(deviceId: string): ManagedCode[] {
    return this.forDevice(deviceId).filter((code) => code.deleted_at === null);
  }

  /**
   * The lock's live codes that stopped trying (usually none): asked when a lock comes back, without
   * loading all its codes (a thousand locks come back at once when the bridge starts).
   */
  suspendedForDevice(deviceId: string): ManagedCode[] {
    const cached = this.cache.peek(deviceId);
    if (cached) return [...cached.values()].filter((c) => c.suspended && c.deleted_at === null);
    return (this.suspendedStmt.all(deviceId) as unknown as CodeValues[]).map(fromValues);
  }

  /** Whether any of the lock's codes (tombstones included) has a window or waits for the lock: time changes those. */
  hasTimedWork(deviceId: string): boolean {
    const cached = this.cache.peek(deviceId);
    if (cached) {
      for (const code of cached.values())
        if (code.window !== null || code.pending_since !== null) return true;
      return false;
    }
    return this.timedStmt.get(deviceId) !== undefined;
  }

  save(code: ManagedCode): void {
    this.upsertStmt.run(toRow(code) as unknown as Record<string, string | number | null>);
    // Through the cache, so a new code counts against its bound.
    if (this.cache.peek(code.device_id)) {
      this.cache.set(code.device_id, code.access_code_id, code);
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

  /** A lock's live codes counted as Home Assistant shows them (CodeLookup). */
  countsOf(deviceId: string): { set: number; pending: number; failed: number } {
    // A lock being worked on is counted from its cached rows: Home Assistant asks after every turn
    // that changed one of its codes, and a query over the lock's rows each time cost a busy bridge
    // a sixth of its CPU.
    if (!this.cache.peek(deviceId)) {
      return this.countsStmt.get(deviceId) as { set: number; pending: number; failed: number };
    }
    const counts = { set: 0, pending: 0, failed: 0 };
    for (const code of this.cache.list(deviceId)) {
      if (code.deleted_at !== null) continue;
      if (code.errors.length > 0) counts.failed++;
      else if (code.status === 'set') counts.set++;
      else if (code.status === 'setting' || code.status === 'removing' || code.status === 'unknown')
        counts.pending++;
    }
    return counts;
  }

  /** A code's lock and name, tombstones included (CodeLookup). */
  find(accessCodeId: string): { device_id: string; name: string | null } | undefined {
    return this.getAny(accessCodeId);
  }

  deviceIds(): string[] {
    return (this.devicesWithWork.all() as Array<{ device_id: string }>).map((r) => r.device_id);
  }
}
