// Opens the SQLite store: private files, WAL, synchronous FULL, migrations applied.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrate, SCHEMA_VERSION } from './migrations.ts';

export const STORE_FILE = 'lockbridge.db';

/**
 * Creates data_dir 0700 and the store 0600 (also its -wal and -shm files: they hold PINs too).
 * null: an in-memory database with the same schema (tests).
 */
export function openDatabase(dataDir: string | null): DatabaseSync {
  if (dataDir === null) {
    const db = new DatabaseSync(':memory:');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
    return db;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const path = join(dataDir, STORE_FILE);
  const previousUmask = process.umask(0o077);
  try {
    const db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec('PRAGMA busy_timeout = 5000');
    migrate(db);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      if (existsSync(file)) chmodSync(file, 0o600);
    }
    return db;
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
  const db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
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
