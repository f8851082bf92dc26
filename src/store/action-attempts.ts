// Action attempts: the answer to an action that completes later (delete, lock, unlock, convert).
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export type ActionType =
  | 'DELETE_ACCESS_CODE'
  | 'LOCK_DOOR'
  | 'UNLOCK_DOOR'
  | 'CONVERT_ACCESS_CODE_TO_MANAGED'
  | 'DELETE_UNMANAGED_ACCESS_CODE';

export interface ActionAttempt {
  action_attempt_id: string;
  action_type: ActionType;
  status: 'pending' | 'success' | 'error';
  result: Record<string, unknown> | null;
  error: { type: string; message: string } | null;
}

export interface ActionAttemptRecord extends ActionAttempt {
  device_id: string | null;
  access_code_id: string | null;
  created_at: number;
}

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

const fromRow = (row: AttemptRow): ActionAttemptRecord => ({
  action_attempt_id: row.action_attempt_id,
  action_type: row.action_type as ActionType,
  status: row.status as ActionAttempt['status'],
  result: row.result === null ? null : JSON.parse(row.result),
  error: row.error === null ? null : JSON.parse(row.error),
  device_id: row.device_id,
  access_code_id: row.access_code_id,
  created_at: row.created_at,
});

/** The public action_attempt object. */
export const attemptView = (a: ActionAttemptRecord): ActionAttempt => ({
  action_attempt_id: a.action_attempt_id,
  action_type: a.action_type,
  status: a.status,
  result: a.result,
  error: a.error,
});

export class ActionAttemptRepository {
  private readonly byId: StatementSync;
  private readonly insertStmt: StatementSync;
  private readonly finishStmt: StatementSync;
  private readonly pendingStmt: StatementSync;

  constructor(db: DatabaseSync) {
    this.byId = db.prepare('SELECT * FROM action_attempts WHERE action_attempt_id = ?');
    this.insertStmt = db.prepare(
      `INSERT INTO action_attempts (action_attempt_id, action_type, status, device_id, access_code_id, created_at, updated_at)
       VALUES (?, ?, 'pending', ?, ?, ?, ?)`,
    );
    this.finishStmt = db.prepare(
      'UPDATE action_attempts SET status = ?, result = ?, error = ?, updated_at = ? WHERE action_attempt_id = ?',
    );
    this.pendingStmt = db.prepare(
      `SELECT * FROM action_attempts WHERE status = 'pending' AND action_type = ? ORDER BY created_at`,
    );
  }

  get(id: string): ActionAttemptRecord | undefined {
    const row = this.byId.get(id) as AttemptRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  create(
    type: ActionType,
    deviceId: string | null,
    accessCodeId: string | null,
    now: number,
  ): ActionAttemptRecord {
    const id = randomUUID();
    this.insertStmt.run(id, type, deviceId, accessCodeId, now, now);
    return this.get(id)!;
  }

  succeed(id: string, result: Record<string, unknown>, now: number): void {
    this.finishStmt.run('success', JSON.stringify(result), null, now, id);
  }

  fail(id: string, error: { type: string; message: string }, now: number): void {
    this.finishStmt.run('error', null, JSON.stringify(error), now, id);
  }

  pending(type: ActionType): ActionAttemptRecord[] {
    return (this.pendingStmt.all(type) as unknown as AttemptRow[]).map(fromRow);
  }
}
