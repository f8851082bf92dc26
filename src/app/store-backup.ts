// Backups of the store and restoring one. A backup is SQLite's VACUUM INTO on a read-only
// connection: one read transaction, so a consistent copy even while the daemon writes (WAL readers
// never block the writer). A restore checks the file first, refuses to run beside a live daemon
// (it takes the daemon's instance lock for its whole duration), keeps the store it replaces, and
// leaves every file 0600 and owned like data_dir.
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { STORE_FILE } from '../store/database.ts';
import { SCHEMA_VERSION } from '../store/migrations.ts';
import { InstanceLock } from './instance-lock.ts';

/** Tables every store has since the first schema: a file without them is not a lockbridge store. */
const REQUIRED_TABLES = ['devices', 'access_codes', 'slots', 'events', 'meta'];

export interface StoreFileCheck {
  schema_version: number;
  size_bytes: number;
  devices: number;
  access_codes: number;
}

export class StoreFileError extends Error {}

/** Checks a store file (a backup): readable, SQLite's integrity check passes, a schema we can run. */
export function checkStoreFile(file: string): StoreFileCheck {
  if (!existsSync(file)) throw new StoreFileError(`${file}: no such file`);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file, { readOnly: true });
  } catch (error) {
    throw new StoreFileError(`${file}: cannot open it as a database (${message(error)})`);
  }
  try {
    let rows: Array<{ integrity_check: string }>;
    try {
      rows = db.prepare('PRAGMA integrity_check').all() as Array<{ integrity_check: string }>;
    } catch (error) {
      throw new StoreFileError(`${file}: not a readable SQLite database (${message(error)})`);
    }
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    if (problems.length > 0)
      throw new StoreFileError(`${file}: the integrity check failed: ${problems.slice(0, 3).join('; ')}`);
    const tables = new Set(
      (
        db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>
      ).map((r) => r.name),
    );
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
    if (missing.length > 0)
      throw new StoreFileError(`${file}: not a lockbridge store (no ${missing.join(', ')} table)`);
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) {
      throw new StoreFileError(
        `${file}: schema version ${version} comes from a newer lockbridge (this one knows up to ${SCHEMA_VERSION})`,
      );
    }
    const count = (table: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      schema_version: version,
      size_bytes: statSync(file).size,
      devices: count('devices'),
      access_codes: count('access_codes'),
    };
  } finally {
    db.close();
  }
}

/** A consistent copy of data_dir's store at `out` (0600), written beside it and renamed into place. */
export function backupStore(dataDir: string, out: string): StoreFileCheck {
  const source = join(dataDir, STORE_FILE);
  if (!existsSync(source)) throw new StoreFileError(`no store in ${dataDir} (${STORE_FILE} does not exist)`);
  const target = resolve(out);
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  rmSync(partial, { force: true });
  const db = new DatabaseSync(source, { readOnly: true, timeout: 5000 });
  const previousUmask = process.umask(0o077);
  try {
    db.prepare('VACUUM INTO ?').run(partial);
  } catch (error) {
    rmSync(partial, { force: true });
    throw new StoreFileError(`could not copy the store to ${dirname(target)} (${message(error)})`);
  } finally {
    process.umask(previousUmask);
    db.close();
  }
  try {
    chmodSync(partial, 0o600);
    syncFile(partial);
    const check = checkStoreFile(partial);
    renameSync(partial, target);
    syncFile(dirname(target));
    return { ...check, size_bytes: statSync(target).size };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

export interface RestoreResult {
  restored: StoreFileCheck;
  /** Where the store that was replaced was kept, or null when there was none. */
  previous: string | null;
}

/**
 * Replaces data_dir's store with `file` after checking it. Throws InstanceLockedError when a
 * daemon runs on data_dir; the daemon migrates an older schema when it next starts.
 */
export function restoreStore(dataDir: string, file: string, now = new Date()): RestoreResult {
  const checked = checkStoreFile(file);
  const lock = InstanceLock.acquire(dataDir);
  try {
    const store = join(dataDir, STORE_FILE);
    let previous: string | null = null;
    if (existsSync(store)) {
      // Its WAL into the file first, so the copy kept is whole and no stale WAL meets the new store.
      const db = new DatabaseSync(store, { timeout: 5000 });
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      db.close();
      previous = join(dataDir, `${STORE_FILE}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`);
      copyPrivate(store, previous);
    }
    const incoming = join(dataDir, `${STORE_FILE}.restoring`);
    copyPrivate(file, incoming);
    checkStoreFile(incoming);
    for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${store}${suffix}`, { force: true });
    renameSync(incoming, store);
    syncFile(dataDir);
    return { restored: checked, previous };
  } finally {
    lock.release();
    ownLikeDataDir(dataDir);
  }
}

/**
 * When root ran a command on data_dir (status, backup, restore), the files SQLite or the command
 * created there (-wal, -shm, the lock file, a restored store) belong to root; the daemon runs as
 * data_dir's owner and could not open them. Gives every file of ours there to that owner.
 */
export function ownLikeDataDir(dataDir: string): void {
  if (process.getuid?.() !== 0 || !existsSync(dataDir)) return;
  const owner = statSync(dataDir);
  for (const name of readdirSync(dataDir)) {
    if (!name.startsWith('lockbridge.')) continue;
    const path = join(dataDir, name);
    const stat = statSync(path);
    if (stat.uid !== owner.uid || stat.gid !== owner.gid) chownSync(path, owner.uid, owner.gid);
  }
}

function copyPrivate(from: string, to: string): void {
  const previousUmask = process.umask(0o077);
  try {
    rmSync(to, { force: true });
    copyFileSync(from, to);
  } finally {
    process.umask(previousUmask);
  }
  chmodSync(to, 0o600);
  syncFile(to);
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
