// Read-only questions about the store as a whole, for bridge/info, `lockbridge status` and the
// watchdog: how many codes wait for their lock, whether the database still answers. Each is one
// small query (the code counts are kept by triggers, the event backlogs read from sequence
// numbers), so bridge/info costs the same at any store size; none changes anything, so they run
// on a read-only connection too.
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
  private readonly codeCountsStmt: StatementSync;
  private readonly deviceCountStmt: StatementSync;
  private readonly pendingAttemptsStmt: StatementSync;
  private readonly pingStmt: StatementSync;
  private readonly versionStmt: StatementSync;

  constructor(db: DatabaseSync) {
    // Kept counted by triggers (migration 8): a few rows, whatever the store's size.
    this.codeCountsStmt = db.prepare('SELECT status, suspended, deleted, n FROM code_counts WHERE n > 0');
    this.deviceCountStmt = db.prepare('SELECT count(*) AS n FROM devices');
    this.pendingAttemptsStmt = db.prepare(
      `SELECT action_type, count(*) AS n FROM action_attempts WHERE status = 'pending' GROUP BY action_type`,
    );
    // A real read of a table (not the schema cache): the watchdog's "the store answers".
    this.pingStmt = db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM devices LIMIT 1)');
    this.versionStmt = db.prepare('PRAGMA user_version');
  }

  codeCounts(): CodeCounts {
    const counts: CodeCounts = { by_status: {}, failed: 0, awaiting_removal: 0 };
    const rows = this.codeCountsStmt.all() as Array<{
      status: string;
      suspended: number;
      deleted: number;
      n: number;
    }>;
    for (const row of rows) {
      if (row.deleted) {
        counts.awaiting_removal += row.n;
        continue;
      }
      counts.by_status[row.status] = (counts.by_status[row.status] ?? 0) + row.n;
      if (row.suspended) counts.failed += row.n;
    }
    return counts;
  }

  deviceCount(): number {
    return (this.deviceCountStmt.get() as { n: number }).n;
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
