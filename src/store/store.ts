// The store: one SQLite database and its repositories, sharing one transaction.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { AccessCodeRepository } from './access-codes.ts';
import { ActionAttemptRepository } from './action-attempts.ts';
import { openDatabase, openDatabaseReadOnly, STORE_FILE } from './database.ts';
import { DeviceRepository } from './devices.ts';
import { EventLog } from './events.ts';
import { MetaRepository } from './meta.ts';
import { RequestRepository } from './requests.ts';
import { RetainedOutbox } from './retained-outbox.ts';
import { SlotRepository } from './slots.ts';
import { StoreHealth } from './store-health.ts';
import { Transactor } from './transaction.ts';
import { UnmanagedCodeRepository } from './unmanaged-codes.ts';

export class Store {
  readonly tx: Transactor;
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
  /** Aggregate read-only questions (bridge/info, status, the watchdog). */
  readonly health: StoreHealth;

  private constructor(
    private readonly db: DatabaseSync,
    private readonly dataDir: string | null,
    gatewayId: string,
  ) {
    this.tx = new Transactor(db);
    this.devices = new DeviceRepository(db);
    this.codes = new AccessCodeRepository(db);
    this.slots = new SlotRepository(db);
    this.unmanaged = new UnmanagedCodeRepository(db);
    this.attempts = new ActionAttemptRepository(db);
    this.requests = new RequestRepository(db);
    this.events = new EventLog(db, this.tx, gatewayId);
    this.retained = new RetainedOutbox(db, this.tx);
    this.meta = new MetaRepository(db);
    this.health = new StoreHealth(db);
  }

  static open(dataDir: string, gatewayId: string): Store {
    return new Store(openDatabase(dataDir), dataDir, gatewayId);
  }

  /** The store for reading only (status, backup): beside a running daemon, never migrated. */
  static openReadOnly(dataDir: string, gatewayId: string): Store {
    return new Store(openDatabaseReadOnly(dataDir), dataDir, gatewayId);
  }

  /** A store in memory, for tests of the parts above it (no file, same schema). */
  static inMemory(gatewayId: string): Store {
    return new Store(openDatabase(null), null, gatewayId);
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
    if (this.db.isOpen) this.db.close();
  }
}
