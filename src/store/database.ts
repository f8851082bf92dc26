// Opens the SQLite store: private files, WAL, synchronous FULL, migrations applied. On a full or
// read-only disk it still opens: first by giving back the reserve it keeps for that day, and if
// even that is not enough, read-only, so the bridge comes up and answers.
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrate, SCHEMA_VERSION } from './migrations.ts';
import { isStorageError } from './storage-health.ts';

export const STORE_FILE = 'lockbridge.db';
/** Space kept in data_dir so the store can open (its -shm and WAL) after the disk filled up. */
export const RESERVE_FILE = 'lockbridge.reserve';
const RESERVE_BYTES = 1024 * 1024;
/** How long a statement waits for another connection's lock (a backup, `lockbridge status`). */
export const BUSY_TIMEOUT_MS = 5000;
/**
 * The write-ahead log is cut back to this after each checkpoint that empties it (SQLite keeps it
 * at its largest otherwise, say after one large transaction); the maintenance truncates it to
 * nothing every hour. Not less than SQLite's checkpoint every 1,000 pages (4 MiB): a log cut to
 * 1 MiB grew again after every checkpoint, and a busy bridge spent some 6 % more in its commits.
 */
const WAL_SIZE_LIMIT = 4 * 1024 * 1024;

export interface OpenedDatabase {
  db: DatabaseSync;
  /** Opened read-only (the disk refused even with the reserve given back); why, when so. */
  readOnlyBecause: string | null;
}

/**
 * Creates data_dir 0700 and the store 0600 (also its -wal and -shm files: they hold PINs too).
 * null: an in-memory database with the same schema (tests).
 */
export function openDatabase(dataDir: string | null): OpenedDatabase {
  if (dataDir === null) {
    const db = new DatabaseSync(':memory:');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
    return { db, readOnlyBecause: null };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(dataDir, 0o700);
  } catch (error) {
    // A read-only file system: nothing can widen the directory's mode there either.
    if ((error as NodeJS.ErrnoException).code !== 'EROFS') throw error;
  }
  const path = join(dataDir, STORE_FILE);
  try {
    const db = openWritable(path);
    keepReserve(dataDir);
    return { db, readOnlyBecause: null };
  } catch (error) {
    if (!isStorageError(error) || !existsSync(path)) throw error;
  }
  // The disk is full: the reserve gives the store room to open (and the operator time to act).
  try {
    unlinkSync(join(dataDir, RESERVE_FILE));
  } catch {
    // none to give back (or the file system takes no change at all: then read-only, below)
  }
  try {
    return { db: openWritable(path), readOnlyBecause: null };
  } catch (error) {
    if (!isStorageError(error)) throw error;
    return { db: openReadOnlyFallback(path), readOnlyBecause: (error as Error).message };
  }
}

/**
 * Not even that (a read-only file system): read-only. What the last run wrote may still be only in
 * the WAL (a kill -9, a power cut): SQLite reads it when the -shm is there or can be made. Only a
 * store with no WAL to read is opened as immutable (without the locks a WAL needs, safe since
 * nothing else writes it); one whose WAL cannot be read is not opened at all, rather than shown
 * without what it acknowledged last.
 */
function openReadOnlyFallback(path: string): DatabaseSync {
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get(); // reads the WAL's index, or throws
    return db;
  } catch (error) {
    const wal = `${path}-wal`;
    if (existsSync(wal) && statSync(wal).size > 0) {
      throw new Error(
        `The store cannot be opened: the disk takes no writes and what was last written is in ${wal}, which cannot be read without writing (${(error as Error).message}). Make the disk writable and start again.`,
      );
    }
    return new DatabaseSync(`file:${path}?immutable=1`, { readOnly: true });
  }
}

/** Puts the reserve back when there is room (at open, and when the store writes again). */
export function keepReserve(dataDir: string): void {
  const file = join(dataDir, RESERVE_FILE);
  if (existsSync(file)) return;
  let fd: number | null = null;
  try {
    fd = openSync(file, 'w', 0o600);
    writeSync(fd, Buffer.alloc(RESERVE_BYTES));
    fsyncSync(fd);
  } catch {
    rmSync(file, { force: true }); // no room for it now: next time
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function openWritable(path: string): DatabaseSync {
  const previousUmask = process.umask(0o077);
  let db: DatabaseSync | null = null;
  try {
    db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT}`);
    migrate(db);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      if (existsSync(file)) chmodSync(file, 0o600);
    }
    return db;
  } catch (error) {
    db?.close(); // a connection that failed to set up must not keep its files open
    throw error;
  } finally {
    process.umask(previousUmask);
  }
}

/**
 * The store opened for reading only, beside a running daemon or without one (`lockbridge status`,
 * `backup`): no migration, no pragma that writes. Refuses a missing store and a schema this
 * version does not know exactly (older: the daemon migrates it at its next start; newer: it came
 * from a newer lockbridge).
 */
export function openDatabaseReadOnly(dataDir: string): DatabaseSync {
  const path = join(dataDir, STORE_FILE);
  if (!existsSync(path)) throw new Error(`no store in ${dataDir} (${STORE_FILE} does not exist)`);
  const db = new DatabaseSync(path, { readOnly: true, timeout: BUSY_TIMEOUT_MS });
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw new Error(
      version > SCHEMA_VERSION
        ? `the store has schema version ${version}, newer than this lockbridge knows (${SCHEMA_VERSION})`
        : `the store has schema version ${version}; this lockbridge migrates it to ${SCHEMA_VERSION} when the daemon next starts`,
    );
  }
  return db;
}
