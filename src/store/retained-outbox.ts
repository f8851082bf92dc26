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
  }

  /** Queues an object's state (null: it is gone); must run inside the transaction of the change. */
  put(kind: RetainedKind, id: string, object: object | null): void {
    this.deleteKey.run(kind, id);
    this.insertStmt.run(kind, id, object === null ? null : JSON.stringify(object));
    this.tx.afterCommit(() => this.appended.emit());
  }

  peek(afterSeq: number, limit: number): RetainedRecord[] {
    const rows = this.peekStmt.all(afterSeq, limit) as Array<{
      seq: number;
      kind: RetainedKind;
      object_id: string;
      body: string | null;
    }>;
    return rows.map((r) => ({ seq: r.seq, kind: r.kind, id: r.object_id, body: r.body }));
  }

  acknowledge(seq: number): void {
    this.ackStmt.run(seq);
  }

  onAppend(listener: () => void): () => void {
    return this.appended.add(listener);
  }
}
