// The latest state of each public object (a device, an access code, the bridge's info) waiting to
// be published as retained state. One row per object: a newer state replaces an unpublished older
// one, so an outage costs one message an object. Neutral records: the transport names its topics.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { Listeners } from './listeners.ts';
import type { Transactor } from './transaction.ts';

export type RetainedKind = 'device' | 'access_code' | 'bridge_info';

export interface RetainedRecord {
  /** Increasing: oldest first. */
  seq: number;
  kind: RetainedKind;
  /** The object's id (device_id, access_code_id; '' for the bridge's info). */
  id: string;
  /** The object as JSON; null once the object is gone (its retained state is to be cleared). */
  body: string | null;
}

/** An object's current retained state, as a transport publishes it again (no outbox row). */
export type RetainedState = Omit<RetainedRecord, 'seq'>;

/**
 * Every object's current retained state, in batches: each batch is read at one moment, so a
 * transport that publishes a batch before reading the next never sends a state older than one
 * the outbox already sent.
 */
export type RetainedSnapshot = () => Iterable<RetainedState[]>;

/** What a transport reads retained state from. */
export interface RetainedFeed {
  /** Up to `limit` records with seq > afterSeq, oldest first. */
  peek(afterSeq: number, limit: number): RetainedRecord[];
  /** Published: the record goes, unless a newer state replaced it meanwhile (it has a new seq). */
  acknowledge(seq: number): void;
  /** Called after new records were committed; returns an unsubscribe function. */
  onAppend(listener: () => void): () => void;
}

export class RetainedOutbox implements RetainedFeed {
  private readonly deleteKey: StatementSync;
  private readonly insertStmt: StatementSync;
  private readonly peekStmt: StatementSync;
  private readonly ackStmt: StatementSync;
  private readonly appended = new Listeners();
  /** Published rows not deleted yet: deleted together, once a turn of the event loop. */
  private readonly published = new Set<number>();
  /** States that could not be stored (the disk is full): published from memory, by kind and id. */
  private readonly inMemory = new Map<string, RetainedRecord>();
  /** The table's last seq when the in-memory seqs below were handed out, and how many were. */
  private memoryBase = -1;
  private memoryCount = 0;
  private readonly lastSeqStmt: StatementSync;

  constructor(
    db: DatabaseSync,
    private readonly tx: Transactor,
  ) {
    this.deleteKey = db.prepare('DELETE FROM retained_outbox WHERE kind = ? AND object_id = ?');
    this.insertStmt = db.prepare('INSERT INTO retained_outbox (kind, object_id, body) VALUES (?, ?, ?)');
    this.peekStmt = db.prepare(
      'SELECT seq, kind, object_id, body FROM retained_outbox WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.ackStmt = db.prepare('DELETE FROM retained_outbox WHERE seq = ?');
    this.lastSeqStmt = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'retained_outbox'");
  }

  /** Queues an object's state (null: it is gone); must run inside the transaction of the change. */
  put(kind: RetainedKind, id: string, object: object | null): void {
    this.inMemory.delete(`${kind}:${id}`); // the stored state is newer
    this.deleteKey.run(kind, id);
    this.insertStmt.run(kind, id, object === null ? null : JSON.stringify(object));
    this.tx.afterCommit(() => this.appended.emit());
  }

  /** A state that must go out though the store can't write it (the bridge's info during an outage). */
  putInMemory(kind: RetainedKind, id: string, object: object): void {
    const key = `${kind}:${id}`;
    this.inMemory.delete(key);
    this.inMemory.set(key, { seq: this.memorySeq(), kind, id, body: JSON.stringify(object) });
    this.appended.emit();
  }

  /**
   * A seq between the last one the table handed out and the next: after what a publisher has seen
   * and before what the store queues next, so that a publisher's cursor passes neither by. Never a
   * whole number, which is how acknowledge() knows it.
   */
  private memorySeq(): number {
    const last = (this.lastSeqStmt.get() as { seq: number } | undefined)?.seq ?? 0;
    if (last !== this.memoryBase) {
      this.memoryBase = last;
      this.memoryCount = 0;
    }
    this.memoryCount++;
    return last + 1 - 1 / (this.memoryCount + 1);
  }

  peek(afterSeq: number, limit: number): RetainedRecord[] {
    const rows = this.peekStmt.all(afterSeq, limit + this.published.size) as Array<{
      seq: number;
      kind: RetainedKind;
      object_id: string;
      body: string | null;
    }>;
    const stored = rows
      .filter((r) => !this.published.has(r.seq))
      .slice(0, limit)
      .map((r) => ({ seq: r.seq, kind: r.kind, id: r.object_id, body: r.body }));
    const memory = [...this.inMemory.values()].filter((r) => r.seq > afterSeq);
    return [...stored, ...memory].slice(0, limit);
  }

  /**
   * A relaxed commit: were it lost in a power cut, the state would be published once more, which
   * is harmless for retained state.
   */
  acknowledge(seq: number): void {
    if (!Number.isInteger(seq)) {
      for (const [key, record] of this.inMemory) if (record.seq === seq) this.inMemory.delete(key);
      return;
    }
    if (this.published.size === 0) setImmediate(() => this.deletePublished());
    this.published.add(seq);
  }

  private deletePublished(): void {
    const seqs = [...this.published];
    try {
      this.tx.run(
        () => {
          for (const seq of seqs) this.ackStmt.run(seq);
        },
        { durable: false },
      );
      for (const seq of seqs) this.published.delete(seq);
    } catch {
      // The store refused (a full disk): the rows stay and go out again after a restart.
      for (const seq of seqs) this.published.delete(seq);
    }
  }

  onAppend(listener: () => void): () => void {
    return this.appended.add(listener);
  }
}
