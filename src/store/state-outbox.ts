// Retained state topics (devices/<id>, access_codes/<id>) waiting for the broker. One row per
// topic: a newer state replaces an unpublished older one, so an outage costs one message a topic.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Outbox, OutboxMessage } from '../transports/mqtt/ports.ts';
import { Listeners } from './listeners.ts';
import type { Transactor } from './transaction.ts';

export class StateOutbox implements Outbox {
  private readonly deleteTopic: StatementSync;
  private readonly insertStmt: StatementSync;
  private readonly peekStmt: StatementSync;
  private readonly ackStmt: StatementSync;
  private readonly appended = new Listeners();

  constructor(
    db: DatabaseSync,
    private readonly tx: Transactor,
  ) {
    this.deleteTopic = db.prepare('DELETE FROM state_outbox WHERE topic = ?');
    this.insertStmt = db.prepare('INSERT INTO state_outbox (topic, payload) VALUES (?, ?)');
    this.peekStmt = db.prepare(
      'SELECT seq, topic, payload FROM state_outbox WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.ackStmt = db.prepare('DELETE FROM state_outbox WHERE seq = ?');
  }

  /** Queues the retained state of a topic; an empty payload clears it. */
  put(topic: string, payload: string): void {
    this.deleteTopic.run(topic);
    this.insertStmt.run(topic, payload);
    this.tx.afterCommit(() => this.appended.emit());
  }

  peek(afterId: number, limit: number): OutboxMessage[] {
    const rows = this.peekStmt.all(afterId, limit) as Array<{ seq: number; topic: string; payload: string }>;
    return rows.map((r) => ({ id: r.seq, topic: r.topic, payload: r.payload, retain: true }));
  }

  /** Removes the row only if no newer state replaced it meanwhile (the newer one has a new seq). */
  acknowledge(message: OutboxMessage): void {
    this.ackStmt.run(message.id);
  }

  onAppend(listener: () => void): () => void {
    return this.appended.add(listener);
  }
}
