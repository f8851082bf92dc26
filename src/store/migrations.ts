// Versioned schema migrations, tracked in PRAGMA user_version. Append only: never edit a step
// that has shipped.
import type { DatabaseSync } from 'node:sqlite';

const MIGRATIONS: string[] = [
  // 1: the first schema
  `
  CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    identity TEXT NOT NULL UNIQUE,
    driver TEXT NOT NULL,
    name TEXT NOT NULL,
    capabilities TEXT,
    online INTEGER NOT NULL DEFAULT 0,
    locked TEXT,
    door TEXT,
    battery_level REAL,
    slots_read_at INTEGER,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE access_codes (
    access_code_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    name TEXT,
    code TEXT NOT NULL,
    type TEXT NOT NULL,
    starts_at INTEGER,
    ends_at INTEGER,
    status TEXT NOT NULL,
    is_scheduled_on_device INTEGER NOT NULL DEFAULT 0,
    allow_external_modification INTEGER NOT NULL DEFAULT 0,
    is_one_time_use INTEGER NOT NULL DEFAULT 0,
    prefer_native_scheduling INTEGER NOT NULL DEFAULT 0,
    common_code_key TEXT,
    created_at INTEGER NOT NULL,
    errors TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]',
    deleted_at INTEGER,
    delete_attempt_id TEXT,
    pending_since INTEGER,
    revision INTEGER NOT NULL DEFAULT 1,
    suspended INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX access_codes_by_device ON access_codes(device_id);
  CREATE TABLE slots (
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    slot INTEGER NOT NULL,
    state TEXT NOT NULL,
    code TEXT,
    starts_at INTEGER,
    ends_at INTEGER,
    owner TEXT,
    confirmed INTEGER NOT NULL DEFAULT 1,
    unmanaged_id TEXT,
    PRIMARY KEY (device_id, slot)
  ) WITHOUT ROWID;
  CREATE TABLE unmanaged_codes (
    access_code_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    slot INTEGER NOT NULL,
    code TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX unmanaged_codes_by_device ON unmanaged_codes(device_id);
  CREATE TABLE action_attempts (
    action_attempt_id TEXT PRIMARY KEY,
    action_type TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    error TEXT,
    device_id TEXT,
    access_code_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE requests (
    request_id TEXT PRIMARY KEY,
    response TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX requests_by_age ON requests(created_at);
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    device_id TEXT,
    access_code_id TEXT,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    published INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX events_unpublished ON events(seq) WHERE published = 0;
  CREATE INDEX events_by_time ON events(created_at);
  CREATE TABLE state_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL
  );
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: unmanaged/delete waits for the slot to be cleared, across restarts
  `
  ALTER TABLE unmanaged_codes ADD COLUMN delete_attempt_id TEXT;
  `,
  // 3: the next window boundary is looked up on every wake of a lock: indexed, not scanned
  `
  CREATE INDEX access_codes_by_start ON access_codes(starts_at) WHERE deleted_at IS NULL AND starts_at IS NOT NULL;
  CREATE INDEX access_codes_by_end ON access_codes(ends_at) WHERE deleted_at IS NULL AND ends_at IS NOT NULL;
  `,
  // 4: one delivery cursor per event consumer instead of a published flag; retained state as
  // neutral records (kind, id), topics being the transport's business; a full read's progress
  `
  CREATE TABLE event_consumers (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL
  );
  INSERT INTO event_consumers (name, position)
    SELECT 'mqtt', coalesce((SELECT min(seq) - 1 FROM events WHERE published = 0), (SELECT max(seq) FROM events), 0);
  DROP INDEX events_unpublished;
  ALTER TABLE events DROP COLUMN published;
  CREATE TABLE retained_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    body TEXT,
    UNIQUE (kind, object_id)
  );
  INSERT INTO retained_outbox (kind, object_id, body)
    SELECT CASE WHEN topic LIKE 'devices/%' THEN 'device' WHEN topic LIKE 'access_codes/%' THEN 'access_code' ELSE 'bridge_info' END,
           CASE WHEN topic LIKE 'devices/%' THEN substr(topic, 9) WHEN topic LIKE 'access_codes/%' THEN substr(topic, 14) ELSE '' END,
           nullif(payload, '')
    FROM state_outbox WHERE topic LIKE 'devices/%' OR topic LIKE 'access_codes/%' OR topic = 'bridge/info'
    ORDER BY seq;
  DROP TABLE state_outbox;
  ALTER TABLE devices ADD COLUMN full_read_from INTEGER;
  `,
  // 5: a slot keeps what the lock confirmed apart from a write in flight (a lost write is never
  // taken for what the slot holds)
  `
  ALTER TABLE slots ADD COLUMN pending_owner TEXT;
  ALTER TABLE slots ADD COLUMN pending_code TEXT;
  ALTER TABLE slots ADD COLUMN pending_starts_at INTEGER;
  ALTER TABLE slots ADD COLUMN pending_ends_at INTEGER;
  UPDATE slots SET pending_owner = owner, pending_code = code, pending_starts_at = starts_at,
    pending_ends_at = ends_at, owner = CASE WHEN state = 'occupied' THEN owner END, code = NULL,
    starts_at = NULL, ends_at = NULL
  WHERE confirmed = 0;
  ALTER TABLE slots DROP COLUMN confirmed;
  CREATE INDEX access_codes_waiting ON access_codes(device_id) WHERE pending_since IS NOT NULL;
  `,
  // 6: API keys for the HTTP API: a salted scrypt hash of each, never the key itself
  `
  CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    salt BLOB NOT NULL,
    hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_used_at INTEGER
  );
  `,
  // 7: a lock removed from its network stays (its codes do) but is shown as removed
  `
  ALTER TABLE devices ADD COLUMN removed_at INTEGER;
  `,
  // 8: what bridge/info shows every few seconds is kept counted, not counted again each time (a
  // store of 100,000 codes took 20-40 ms of the event loop a look): codes by status, suspended
  // and deleted, kept by triggers; pending action attempts and ended ones (pruned by age) indexed
  `
  CREATE TABLE code_counts (
    status TEXT NOT NULL,
    suspended INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (status, suspended, deleted)
  ) WITHOUT ROWID;
  INSERT INTO code_counts
    SELECT status, suspended, deleted_at IS NOT NULL, count(*) FROM access_codes GROUP BY 1, 2, 3;
  CREATE TRIGGER access_codes_counted_in AFTER INSERT ON access_codes BEGIN
    INSERT INTO code_counts VALUES (NEW.status, NEW.suspended, NEW.deleted_at IS NOT NULL, 1)
      ON CONFLICT DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER access_codes_counted_out AFTER DELETE ON access_codes BEGIN
    UPDATE code_counts SET n = n - 1
      WHERE status = OLD.status AND suspended = OLD.suspended AND deleted = (OLD.deleted_at IS NOT NULL);
  END;
  CREATE TRIGGER access_codes_counted_again AFTER UPDATE OF status, suspended, deleted_at ON access_codes
    WHEN OLD.status IS NOT NEW.status OR OLD.suspended IS NOT NEW.suspended
      OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
  BEGIN
    UPDATE code_counts SET n = n - 1
      WHERE status = OLD.status AND suspended = OLD.suspended AND deleted = (OLD.deleted_at IS NOT NULL);
    INSERT INTO code_counts VALUES (NEW.status, NEW.suspended, NEW.deleted_at IS NOT NULL, 1)
      ON CONFLICT DO UPDATE SET n = n + 1;
  END;
  CREATE INDEX action_attempts_pending ON action_attempts(action_type) WHERE status = 'pending';
  CREATE INDEX action_attempts_ended ON action_attempts(updated_at) WHERE status <> 'pending';
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: DatabaseSync): void {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  const current = row.user_version;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `The store has schema version ${current}, newer than this lockbridge knows (${SCHEMA_VERSION}): refusing to run an older version on it.`,
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
}
