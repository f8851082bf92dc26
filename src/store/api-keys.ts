// API keys of the HTTP API: the salted hash of each key, never the key itself (src/auth/ makes and
// checks them). Revoked keys stay listed, so `api-key list` can say when a key was revoked.
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export interface ApiKeyRecord {
  /** The public part of the key (`seam_<key_id>_<secret>`). */
  key_id: string;
  name: string;
  salt: Buffer;
  hash: Buffer;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

interface Row {
  key_id: string;
  name: string;
  salt: Uint8Array;
  hash: Uint8Array;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

const fromRow = (row: Row): ApiKeyRecord => ({
  ...row,
  salt: Buffer.from(row.salt),
  hash: Buffer.from(row.hash),
});

export class ApiKeyRepository {
  private readonly getStmt: StatementSync;
  private readonly listStmt: StatementSync;
  private readonly insertStmt: StatementSync;
  private readonly revokeStmt: StatementSync;
  private readonly usedStmt: StatementSync;

  constructor(db: DatabaseSync) {
    this.getStmt = db.prepare('SELECT * FROM api_keys WHERE key_id = ?');
    this.listStmt = db.prepare('SELECT * FROM api_keys ORDER BY created_at, key_id');
    this.insertStmt = db.prepare(
      'INSERT INTO api_keys (key_id, name, salt, hash, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.revokeStmt = db.prepare(
      'UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL',
    );
    this.usedStmt = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE key_id = ?');
  }

  get(keyId: string): ApiKeyRecord | undefined {
    const row = this.getStmt.get(keyId) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(): ApiKeyRecord[] {
    return (this.listStmt.all() as unknown as Row[]).map(fromRow);
  }

  insert(record: Omit<ApiKeyRecord, 'revoked_at' | 'last_used_at'>): void {
    this.insertStmt.run(record.key_id, record.name, record.salt, record.hash, record.created_at);
  }

  /** False when there is no such key or it was revoked already. */
  revoke(keyId: string, now: number): boolean {
    return Number(this.revokeStmt.run(now, keyId).changes) > 0;
  }

  markUsed(keyId: string, now: number): void {
    this.usedStmt.run(now, keyId);
  }
}
