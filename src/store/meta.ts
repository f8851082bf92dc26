// Small key/value facts the bridge keeps across restarts (e.g. the newest time it has seen).
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export class MetaRepository {
  private readonly getStmt: StatementSync;
  private readonly setStmt: StatementSync;

  constructor(db: DatabaseSync) {
    this.getStmt = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.setStmt = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  }

  get(key: string): string | undefined {
    return (this.getStmt.get(key) as { value: string } | undefined)?.value;
  }

  set(key: string, value: string): void {
    this.setStmt.run(key, value);
  }
}
