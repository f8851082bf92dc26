// One write transaction at a time; nested calls join the outer one. Listeners registered during
// a transaction run only after it is durable (an answer or a publish never precedes its commit).
//
// Durability, chosen by the outermost call:
// - true (the default): the commit is fsynced before run() returns.
// - 'soon': the commit is in the WAL at once (it survives kill -9) and reaches the disk with one
//   fsync of the WAL shared by every commit made meanwhile (group commit), run off the event loop;
//   its listeners run only after that fsync. Many requests, or many locks' answers, cost one
//   fsync, the event loop never waits for the disk, and nothing is announced before it is on disk.
// - false: bookkeeping whose loss in a power cut costs a repeat, never a loss (a delivery
//   cursor, a published retained row, the intent before a write). It reaches the disk with the
//   next fsync, whoever makes it.
//
// Requests handed to `grouped` in the same turn share one transaction, each in a savepoint of its
// own so that one that fails undoes only itself, and are answered after its fsync.
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { StorageHealth } from './storage-health.ts';

export type Durability = boolean | 'soon';

export interface TxOptions {
  durable?: Durability;
}

interface Grouped {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Requests in one group commit at most. */
const MAX_GROUP = 64;

const strength = (d: Durability): number => (d === true ? 2 : d === 'soon' ? 1 : 0);

export class Transactor {
  private depth = 0;
  private durability: Durability = true;
  private afterCommitQueue: Array<() => void> = [];
  /** Listeners of 'soon' commits, waiting for the fsync that makes them durable. */
  private awaitingSync: Array<() => void> = [];
  private syncScheduled = false;
  /** An fsync of the WAL is running in the thread pool. */
  private syncing = false;
  private closed = false;
  private readonly rollbackListeners = new Set<() => void>();
  private readonly counters = { commits: 0, fsyncs: 0 };
  private group: Grouped[] = [];
  private synchronous: 'FULL' | 'NORMAL' = 'FULL';
  private walFd: number | null = null;
  /** Prepared once: a group of 64 requests runs 130 of these. */
  private readonly sql: Record<'begin' | 'commit' | 'savepoint' | 'release' | 'rollbackTo', StatementSync>;

  /** walPath: the database's write-ahead log (null for a database in memory: nothing to sync). */
  constructor(
    private readonly db: DatabaseSync,
    private readonly walPath: string | null,
    private readonly health: StorageHealth,
  ) {
    this.sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      savepoint: db.prepare('SAVEPOINT request'),
      release: db.prepare('RELEASE request'),
      rollbackTo: db.prepare('ROLLBACK TO request'),
    };
  }

  run<T>(work: () => T, options: TxOptions = {}): T {
    const durability = options.durable ?? true;
    if (this.depth > 0) {
      // SQLite fixes a transaction's safety level when it begins: a relaxed one can't take a change
      // that must reach the disk (a programming error, not a condition of the store).
      if (strength(durability) > strength(this.durability) && this.durability === false) {
        throw new Error('a durable change inside a relaxed transaction');
      }
      this.depth++;
      try {
        return work();
      } finally {
        this.depth--;
      }
    }
    this.durability = durability;
    let result: T;
    try {
      this.setSynchronous(durability === true ? 'FULL' : 'NORMAL');
      this.sql.begin.run();
      this.depth = 1;
      result = work();
      this.sql.commit.run();
      this.counters.commits++;
    } catch (error) {
      this.rollback();
      this.health.failed(error);
      throw error;
    } finally {
      this.depth = 0;
    }
    this.health.succeeded();
    const listeners = this.afterCommitQueue;
    this.afterCommitQueue = [];
    if (durability === true) {
      this.counters.fsyncs++;
      // This fsync carried every 'soon' commit before it too.
      const carried = this.awaitingSync;
      this.awaitingSync = [];
      this.runListeners(carried);
      this.runListeners(listeners);
    } else if (durability === 'soon') {
      this.awaitingSync.push(...listeners);
      this.scheduleSync();
    } else {
      this.runListeners(listeners);
    }
    return result;
  }

  /**
   * Runs `work` in the next group commit: in its own savepoint, inside one transaction shared with
   * the other works of this turn; resolves with its result (or rejects with its error, its writes
   * undone) only after that transaction committed.
   */
  grouped<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.group.length === 0) setImmediate(() => this.runGroup());
      this.group.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /** Runs after the current transaction is durable, or at once outside one. */
  afterCommit(listener: () => void): void {
    if (this.depth > 0) this.afterCommitQueue.push(listener);
    else listener();
  }

  /** Called when a transaction or a savepoint is rolled back: what was cached of it is stale. */
  onRollback(listener: () => void): void {
    this.rollbackListeners.add(listener);
  }

  /** Commits and fsyncs so far (for benchmarks and bridge/info). */
  counts(): { commits: number; fsyncs: number } {
    return { ...this.counters };
  }

  /** Makes every commit so far durable now, and stops syncing (the store closes). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const listeners = this.awaitingSync;
    this.awaitingSync = [];
    if (this.walPath !== null && (listeners.length > 0 || this.syncing)) {
      try {
        this.walFd ??= openSync(this.walPath, 'r');
        fdatasyncSync(this.walFd);
        this.counters.fsyncs++;
      } catch {
        // No WAL, or the disk refuses: SQLite's own close makes what it can durable.
      }
    }
    this.runListeners(listeners);
    if (!this.syncing) this.closeWal();
  }

  private scheduleSync(): void {
    if (this.syncScheduled || this.syncing || this.closed) return;
    this.syncScheduled = true;
    setImmediate(() => this.startSync());
  }

  /** One fsync of the WAL for every commit made until now; their listeners run once it is done. */
  private startSync(): void {
    this.syncScheduled = false;
    if (this.syncing) return; // when it ends, the next one starts for what came meanwhile
    const batch = this.awaitingSync;
    this.awaitingSync = [];
    if (batch.length === 0 || this.closed) return;
    if (this.walPath === null) {
      this.runListeners(batch); // in memory: nothing to wait for
      return;
    }
    try {
      this.walFd ??= openSync(this.walPath, 'r');
    } catch {
      // No WAL: nothing was ever written through it (a store opened read-only), so nothing to sync.
      this.runListeners(batch);
      return;
    }
    this.syncing = true;
    fdatasync(this.walFd, (error) => {
      this.syncing = false;
      if (this.closed) {
        this.closeWal(); // close() synced everything already
        this.runListeners(batch);
        return;
      }
      if (error) {
        // The disk refused: the commits stay unannounced and are tried again with the next ones.
        this.health.failed(error);
        this.awaitingSync.unshift(...batch);
        setTimeout(() => this.scheduleSync(), 100).unref();
        return;
      }
      this.counters.fsyncs++;
      this.runListeners(batch);
      if (this.awaitingSync.length > 0) this.scheduleSync();
    });
  }

  private closeWal(): void {
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
  }

  private runGroup(): void {
    // A bounded group, so that locks' answers and timers get turns between groups of a burst.
    const group = this.group.splice(0, MAX_GROUP);
    if (this.group.length > 0) setImmediate(() => this.runGroup());
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const settle = () =>
      group.forEach((item, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
    try {
      this.run(
        () => {
          for (const item of group) {
            const listeners = this.afterCommitQueue.length;
            this.sql.savepoint.run();
            try {
              outcomes.push({ ok: true, value: this.run(item.work) });
              this.sql.release.run();
            } catch (error) {
              this.sql.rollbackTo.run();
              this.sql.release.run();
              this.afterCommitQueue.length = listeners; // what it announced did not happen
              this.notifyRollback();
              outcomes.push({ ok: false, error });
            }
          }
          // Answered once the group is on disk.
          this.afterCommit(settle);
        },
        { durable: 'soon' },
      );
      // The group gathered this turn's requests already: its fsync starts now, not a turn later.
      this.startSync();
    } catch (error) {
      // The commit itself failed (a full disk): nothing of the group is stored.
      for (const item of group) item.reject(error);
    }
  }

  private setSynchronous(wanted: 'FULL' | 'NORMAL'): void {
    if (wanted === this.synchronous) return;
    this.db.exec(`PRAGMA synchronous = ${wanted}`);
    this.synchronous = wanted;
  }

  private rollback(): void {
    this.afterCommitQueue = [];
    try {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
    } catch {
      // SQLite may have rolled back by itself already (an I/O error); nothing is left to undo.
    }
    this.notifyRollback();
  }

  private notifyRollback(): void {
    for (const listener of this.rollbackListeners) listener();
  }

  private runListeners(listeners: Array<() => void>): void {
    for (const listener of listeners) listener();
  }
}
