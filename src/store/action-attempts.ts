// Action attempts, as the store keeps them.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ActionAttempt, ActionType } from '../core/action-attempt.ts';

interface AttemptRow {
  action_attempt_id: string;
  action_type: string;
  status: string;
  result: string | null;
  error: string | null;
  device_id: string | null;
  access_code_id: string | null;
  created_at: number;
}

const fromRow = (row: AttemptRow): ActionAttempt => ({
  action_attempt_id: row.action_attempt_id,
  action_type: row.action_type as ActionType,
  status: row.status as ActionAttempt['status'],
  result: row.result === null ? null : JSON.parse(row.result),
  error: row.error === null ? null : JSON.parse(row.error),
  device_id: row.device_id,
  access_code_id: row.access_code_id,
  created_at: row.created_at,
});

export class ActionAttemptRepository {
  private readonly byId: StatementSync;
  private readonly upsertStmt: StatementSync;
  private readonly pendingStmt: StatementSync;
  private readonly pruneStmt: StatementSync;

  constructor(db: DatabaseSync) {
    this.byId = db.prepare('SELECT * FROM action_attempts WHERE action_attempt_id = ?');
    this.upsertStmt = db.prepare(
      `INSERT INTO action_attempts (action_attempt_id, action_type, status, result, error, device_id, access_code_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(action_attempt_id) DO UPDATE SET status = excluded.status, result = excluded.result,
         error = excluded.error, updated_at = excluded.updated_at`,
    );
    this.pendingStmt = db.prepare(
      `SELECT * FROM action_attempts WHERE status = 'pending' AND action_type = ? ORDER BY created_at`,
    );
    this.pruneStmt = db.prepare(
      `DELETE FROM action_attempts WHERE action_attempt_id IN
         (SELECT action_attempt_id FROM action_attempts WHERE status <> 'pending' AND updated_at <= ? LIMIT ?)`,
    );
  }

  /**
   * Forgets up to `limit` attempts that ended at or before `endedBy` (kept as long as answered
   * requests: a client polls one after its request); returns how many (fewer: done).
   */
  prune(endedBy: number, limit = Number.MAX_SAFE_INTEGER): number {
    return Number(this.pruneStmt.run(endedBy, limit).changes);
  }

  get(id: string): ActionAttempt | undefined {
    const row = this.byId.get(id) as AttemptRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  save(a: ActionAttempt, now: number): void {
    this.upsertStmt.run(
      a.action_attempt_id,
      a.action_type,
      a.status,
      a.result === null ? null : JSON.stringify(a.result),
      a.error === null ? null : JSON.stringify(a.error),
      a.device_id,
      a.access_code_id,
      a.created_at,
      now,
    );
  }

  pending(type: ActionType): ActionAttempt[] {
    return (this.pendingStmt.all(type) as unknown as AttemptRow[]).map(fromRow);
  }
}
