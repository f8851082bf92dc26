// One write transaction at a time; nested calls join the outer one. Listeners registered during
// a transaction run only after it committed (an answer or a publish never precedes its commit).
import type { DatabaseSync } from 'node:sqlite';

export class Transactor {
  private depth = 0;
  private afterCommitQueue: Array<() => void> = [];

  constructor(private readonly db: DatabaseSync) {}

  run<T>(work: () => T): T {
    if (this.depth > 0) {
      this.depth++;
      try {
        return work();
      } finally {
        this.depth--;
      }
    }
    this.db.exec('BEGIN IMMEDIATE');
    this.depth = 1;
    let result: T;
    try {
      result = work();
      this.db.exec('COMMIT');
    } catch (error) {
      this.afterCommitQueue = [];
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.depth = 0;
    }
    const queue = this.afterCommitQueue;
    this.afterCommitQueue = [];
    for (const listener of queue) listener();
    return result;
  }

  /** Runs after the current transaction commits, or at once outside one. */
  afterCommit(listener: () => void): void {
    if (this.depth > 0) this.afterCommitQueue.push(listener);
    else listener();
  }
}
