// Answered request ids and their responses, kept 24 h so a redelivered request is not executed twice.
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export const REQUEST_MEMORY_MS = 24 * 60 * 60 * 1000;

export class RequestRepository {
  private readonly getStmt: StatementSync;
  private readonly putStmt: StatementSync;
  private readonly pruneStmt: StatementSync;

  constructor(db: DatabaseSync) {
    this.getStmt = db.prepare('SELECT response FROM requests WHERE request_id = ? AND created_at > ?');
    this.putStmt = db.prepare(
      'INSERT OR REPLACE INTO requests (request_id, response, created_at) VALUES (?, ?, ?)',
    );
    this.pruneStmt = db.prepare('DELETE FROM requests WHERE created_at <= ?');
  }

  /** The stored response of a request answered in the last 24 h. */
  answered(requestId: string, now: number): Record<string, unknown> | undefined {
    const row = this.getStmt.get(requestId, now - REQUEST_MEMORY_MS) as { response: string } | undefined;
    return row ? JSON.parse(row.response) : undefined;
  }

  remember(requestId: string, response: Record<string, unknown>, now: number): void {
    this.putStmt.run(requestId, JSON.stringify(response), now);
  }

  prune(now: number): number {
    return Number(this.pruneStmt.run(now - REQUEST_MEMORY_MS).changes);
  }
}
