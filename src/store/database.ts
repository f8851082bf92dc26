// Opens the SQLite store: private files, WAL, synchronous FULL, migrations applied.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrate } from './migrations.ts';

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
