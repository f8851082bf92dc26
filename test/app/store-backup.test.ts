// What a restore refuses, before it touches anything: a file that is not a database, one whose
// integrity check fails, a database that is not a lockbridge store, a store from a newer version.
// And a backup of a store that has no file yet is refused with the reason.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceLock, InstanceLockedError } from '../../src/app/instance-lock.ts';
import { backupStore, checkStoreFile, restoreStore, StoreFileError } from '../../src/app/store-backup.ts';
import { SCHEMA_VERSION } from '../../src/store/migrations.ts';
import { Store } from '../../src/store/store.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const temp = () => {
  dir = mkdtempSync(join(tmpdir(), 'lockbridge-restore-'));
  return dir;
};

function storeWithOneDevice(dataDir: string): void {
  const store = Store.open(dataDir, 'hub-1');
  store.tx.run(() => store.devices.ensure('sim:1', 'simulated', 'Front', Date.now()));
  store.close();
}

describe('checkStoreFile', () => {
  it('refuses what is not a lockbridge store, saying why', () => {
    const d = temp();
    const garbage = join(d, 'garbage.db');
    writeFileSync(
      garbage,
      'this is not a database, just some text that is long enough to matter\n'.repeat(100),
    );
    expect(() => checkStoreFile(garbage)).toThrow(
      /not a readable SQLite database|cannot open it as a database/,
    );

    const other = join(d, 'other.db');
    const db = new DatabaseSync(other);
    db.exec('CREATE TABLE notes (text TEXT)');
    db.close();
    expect(() => checkStoreFile(other)).toThrow(
      `${other}: not a lockbridge store (no devices, access_codes, slots, events, meta table)`,
    );

    expect(() => checkStoreFile(join(d, 'missing.db'))).toThrow(StoreFileError);
  });

  it('refuses a store from a newer lockbridge, and one whose pages are damaged', () => {
    const d = temp();
    storeWithOneDevice(join(d, 'a'));
    const newer = join(d, 'newer.db');
    backupStore(join(d, 'a'), newer);
    const db = new DatabaseSync(newer);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => checkStoreFile(newer)).toThrow(/comes from a newer lockbridge/);

    const damaged = join(d, 'damaged.db');
    backupStore(join(d, 'a'), damaged);
    const bytes = readFileSync(damaged);
    // Scribble over the middle of the file (past the header page): the B-tree pages break.
    bytes.fill(0x5a, 4096 + 100, bytes.length - 100);
    writeFileSync(damaged, bytes);
    expect(() => checkStoreFile(damaged)).toThrow(
      /integrity check failed|not a readable SQLite database|malformed/,
    );
  });

  it('a good backup passes and says what it holds', () => {
    const d = temp();
    storeWithOneDevice(join(d, 'a'));
    const copy = join(d, 'copy.db');
    expect(backupStore(join(d, 'a'), copy)).toMatchObject({
      schema_version: SCHEMA_VERSION,
      devices: 1,
      access_codes: 0,
    });
    expect(checkStoreFile(copy).devices).toBe(1);
  });
});

describe('restoreStore', () => {
  it('refuses while a daemon holds the data directory, and changes nothing', () => {
    const d = temp();
    storeWithOneDevice(join(d, 'a'));
    const copy = join(d, 'copy.db');
    backupStore(join(d, 'a'), copy);
    const target = join(d, 'live');
    storeWithOneDevice(target);
    const before = readFileSync(join(target, 'lockbridge.db'));
    const daemon = InstanceLock.acquire(target);
    try {
      expect(() => restoreStore(target, copy)).toThrow(InstanceLockedError);
      expect(InstanceLock.isHeld(target)).toBe(true);
    } finally {
      daemon.release();
    }
    expect(readFileSync(join(target, 'lockbridge.db')).equals(before)).toBe(true);
    expect(InstanceLock.isHeld(target)).toBe(false);
  });

  it('refuses a bad file before taking the lock or touching the store', () => {
    const d = temp();
    const target = join(d, 'live');
    storeWithOneDevice(target);
    const bad = join(d, 'bad.db');
    writeFileSync(bad, 'nope');
    expect(() => restoreStore(target, bad)).toThrow(StoreFileError);
    expect(existsSync(join(target, 'lockbridge.db.restoring'))).toBe(false);
    expect(Store.openReadOnly(target, 'hub-1').devices.list()).toHaveLength(1);
  });

  it('refuses a backup of a store that does not exist', () => {
    const d = temp();
    expect(() => backupStore(join(d, 'nothing-here'), join(d, 'out.db'))).toThrow(/^no store in /);
  });
});
