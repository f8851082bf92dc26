// One daemon per data_dir: the daemon holds an exclusive lock on <data_dir>/lockbridge.lock for as
// long as it runs (SQLite's file lock: the kernel drops it when the process dies, kill -9 included).
// `lockbridge restore` takes the same lock, so it never runs beside a live daemon, and a daemon
// cannot start in the middle of a restore. Node has no flock(); node:sqlite does the locking.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export const LOCK_FILE = 'lockbridge.lock';

export class InstanceLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(`another lockbridge is running on ${dataDir} (it holds ${join(dataDir, LOCK_FILE)})`);
    this.name = 'InstanceLockedError';
  }
}

export class InstanceLock {
  private constructor(private readonly db: DatabaseSync) {}

  /** Takes the lock, creating data_dir (0700) and the lock file (0600); throws InstanceLockedError. */
  static acquire(dataDir: string): InstanceLock {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, LOCK_FILE);
    const previousUmask = process.umask(0o077);
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { timeout: 0 });
    } finally {
      process.umask(previousUmask);
    }
    chmodSync(path, 0o600);
    try {
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      // Never committed: the exclusive lock is held until the connection closes.
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db.close();
      if (isBusy(error)) throw new InstanceLockedError(dataDir);
      throw error;
    }
    return new InstanceLock(db);
  }

  /** Whether a daemon holds the lock now (a read-only probe: creates nothing). */
  static isHeld(dataDir: string): boolean {
    const path = join(dataDir, LOCK_FILE);
    if (!existsSync(path)) return false;
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { readOnly: true, timeout: 0 });
    } catch {
      return false;
    }
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return false;
    } catch (error) {
      if (isBusy(error)) return true;
      throw error;
    } finally {
      db.close();
    }
  }

  release(): void {
    if (this.db.isOpen) this.db.close();
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: number }).errcode;
  // SQLITE_BUSY (5) and its extended codes (the low byte is the primary code).
  return typeof code === 'number' ? (code & 0xff) === 5 : /database is locked/.test(String(error));
}
