// Read-only questions about the store as a whole, for bridge/info, `lockbridge status` and the
// watchdog: how many codes wait for their lock, whether the database still answers. Each is one
// aggregate query; none changes anything, so they run on a read-only connection too.
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export interface CodeCounts {
  /** Live codes by status (setting, set, unset, removing, unknown). */
  by_status: Record<string, number>;
  /** Live codes that failed and wait for a change (suspended). */
  failed: number;
  /** Deleted codes whose slot the lock has not confirmed clear yet. */
  awaiting_removal: number;
}

export class StoreHealth {
  private readonly byStatusStmt: StatementSync;
  private readonly failedStmt: StatementSync;
  private readonly awaitingRemovalStmt: StatementSync;
  private readonly pendingAttemptsStmt: StatementSync;
  private readonly pingStmt: StatementSync;
  private readonly versionStmt: StatementSync;

  constructor(db: DatabaseSync) {
    this.byStatusStmt = db.prepare(
      'SELECT status, count(*) AS n FROM access_codes WHERE deleted_at IS NULL GROUP BY status',
    );
    this.failedStmt = db.prepare(
      'SELECT count(*) AS n FROM access_codes WHERE deleted_at IS NULL AND suspended = 1',
    );
    this.awaitingRemovalStmt = db.prepare(
      'SELECT count(*) AS n FROM access_codes WHERE deleted_at IS NOT NULL',
    );
    this.pendingAttemptsStmt = db.prepare(
      `SELECT action_type, count(*) AS n FROM action_attempts WHERE status = 'pending' GROUP BY action_type`,
    );
    // A real read of a table (not the schema cache): the watchdog's "the store answers".
    this.pingStmt = db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM devices LIMIT 1)');
    this.versionStmt = db.prepare('PRAGMA user_version');
  }

  codeCounts(): CodeCounts {
    const by_status: Record<string, number> = {};
    for (const row of this.byStatusStmt.all() as Array<{ status: string; n: number }>)
      by_status[row.status] = row.n;
    return {
      by_status,
      failed: (this.failedStmt.get() as { n: number }).n,
      awaiting_removal: (this.awaitingRemovalStmt.get() as { n: number }).n,
    };
  }

  /** Action attempts not yet ended, by action type. */
  pendingAttempts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.pendingAttemptsStmt.all() as Array<{ action_type: string; n: number }>)
      out[row.action_type] = row.n;
    return out;
  }

  /** Throws when the database does not answer a read. */
  ping(): void {
    this.pingStmt.get();
  }

  schemaVersion(): number {
    return (this.versionStmt.get() as { user_version: number }).user_version;
  }
}
