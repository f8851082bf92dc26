// The store: one SQLite database and its repositories, sharing one transaction.

import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { AccessCodeRepository } from './access-codes.ts';
import { ActionAttemptRepository } from './action-attempts.ts';
import { ApiKeyRepository } from './api-keys.ts';
import {
  BUSY_TIMEOUT_MS,
  keepReserve,
  type OpenedDatabase,
  openDatabase,
  openDatabaseReadOnly,
  STORE_FILE,
} from './database.ts';
import { DeviceRepository } from './devices.ts';
import { EventLog } from './events.ts';
import { MetaRepository } from './meta.ts';
import { RequestRepository } from './requests.ts';
import { RetainedOutbox } from './retained-outbox.ts';
import { SlotRepository } from './slots.ts';
import { StorageHealth } from './storage-health.ts';
import { StoreHealth } from './store-health.ts';
import { Transactor } from './transaction.ts';
import { UnmanagedCodeRepository } from './unmanaged-codes.ts';

export class Store {
  readonly tx: Transactor;
  /** Whether writes reach the store (a full or read-only disk makes them fail). */
  readonly storage = new StorageHealth();
  readonly devices: DeviceRepository;
  readonly codes: AccessCodeRepository;
  readonly slots: SlotRepository;
  readonly unmanaged: UnmanagedCodeRepository;
  readonly attempts: ActionAttemptRepository;
  readonly requests: RequestRepository;
  readonly events: EventLog;
  /** The retained state of public objects, waiting for the transport that publishes it. */
  readonly retained: RetainedOutbox;
  readonly meta: MetaRepository;
  /** Hashes of the HTTP API's keys. */
  readonly apiKeys: ApiKeyRepository;
  /** Aggregate read-only questions (bridge/info, status, the watchdog). */
  readonly health: StoreHealth;

  /**
   * Opened read-only because the disk refused writes even with the reserve given back: writes are
   * refused until the bridge restarts on a disk it can write.
   */
  readonly readOnly: boolean;
  private readonly db: DatabaseSync;

  private constructor(
    opened: OpenedDatabase,
    private readonly dataDir: string | null,
    gatewayId: string,
  ) {
    const db = opened.db;
    this.db = db;
    this.readOnly = opened.readOnlyBecause !== null;
    if (opened.readOnlyBecause !== null) this.storage.failed({ errcode: 8, errstr: opened.readOnlyBecause });
    this.tx = new Transactor(db, dataDir === null ? null : `${join(dataDir, STORE_FILE)}-wal`, this.storage);
    this.devices = new DeviceRepository(db);
    this.codes = new AccessCodeRepository(db, this.tx);
    this.slots = new SlotRepository(db, this.tx);
    this.unmanaged = new UnmanagedCodeRepository(db, this.tx);
    this.attempts = new ActionAttemptRepository(db);
    this.requests = new RequestRepository(db);
    this.events = new EventLog(db, this.tx, gatewayId);
    this.retained = new RetainedOutbox(db, this.tx);
    this.meta = new MetaRepository(db);
    this.apiKeys = new ApiKeyRepository(db);
    this.health = new StoreHealth(db);
  }

  static open(dataDir: string, gatewayId: string): Store {
    return new Store(openDatabase(dataDir), dataDir, gatewayId);
  }

  /** The store for reading only (status, backup): beside a running daemon, never migrated. */
  static openReadOnly(dataDir: string, gatewayId: string): Store {
    return new Store({ db: openDatabaseReadOnly(dataDir), readOnlyBecause: null }, dataDir, gatewayId);
  }

  /** A store in memory, for tests of the parts above it (no file, same schema). */
  static inMemory(gatewayId: string): Store {
    return new Store(openDatabase(null), null, gatewayId);
  }

  /** Puts back the space kept for opening on a full disk (once the store writes again). */
  keepReserve(): void {
    if (this.dataDir !== null) keepReserve(this.dataDir);
  }

  /** Whether data_dir takes a write now (probing a store opened read-only). */
  dataDirWritable(): boolean {
    if (this.dataDir === null) return true;
    const probe = join(this.dataDir, '.write-probe');
    try {
      writeFileSync(probe, 'probe', { mode: 0o600 });
      rmSync(probe, { force: true });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Copies the write-ahead log into the database and empties the log (the bridge's maintenance
   * does, every hour and after large prunes). Never waits for a reader (a backup, `lockbridge
   * status`): what such a reader holds back stays in the log, and the next checkpoint finishes.
   * Returns whether the log is empty now.
   */
  checkpoint(): boolean {
    if (this.dataDir === null || this.readOnly || this.db.isTransaction) return false;
    this.db.exec('PRAGMA busy_timeout = 0');
    try {
      const row = this.db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy: number };
      return row.busy === 0;
    } finally {
      this.db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /** Bytes of the write-ahead log now (0: none, or empty). */
  walBytes(): number {
    if (this.dataDir === null) return 0;
    try {
      return statSync(`${join(this.dataDir, STORE_FILE)}-wal`).size;
    } catch {
      return 0;
    }
  }

  /** Bytes on disk (database and WAL), for bridge/info. */
  sizeBytes(): number {
    if (this.dataDir === null) return 0;
    const path = join(this.dataDir, STORE_FILE);
    let total = 0;
    for (const file of [path, `${path}-wal`]) {
      try {
        total += statSync(file).size;
      } catch {
        // the WAL may not exist yet
      }
    }
    return total;
  }

  close(): void {
    if (!this.db.isOpen) return;
    try {
      this.tx.close();
    } finally {
      this.db.close();
    }
  }
}
