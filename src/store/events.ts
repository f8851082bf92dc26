// The event log and its outbox: an event is written in the transaction of the change that caused
// it, published oldest first, and marked published only after the broker's PUBACK.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { iso } from '../core/access-code.ts';
import type { EventDraft } from '../core/events.ts';
import type { Outbox, OutboxMessage } from '../transports/mqtt/ports.ts';
import { Listeners } from './listeners.ts';
import type { Transactor } from './transaction.ts';

export type EventObject = Record<string, unknown> & { event_id: string; event_type: string };

export interface EventFilter {
  since: number;
  device_id?: string;
  access_code_id?: string;
  event_types?: string[];
  limit: number;
}

export interface OutboxBounds {
  max_age_ms: number;
  max_events: number;
}

export class EventLog implements Outbox {
  private readonly insertStmt: StatementSync;
  private readonly peekStmt: StatementSync;
  private readonly ackStmt: StatementSync;
  private readonly dropOldStmt: StatementSync;
  private readonly countUnpublished: StatementSync;
  private readonly dropExcessStmt: StatementSync;
  private readonly appended = new Listeners();

  constructor(
    private readonly db: DatabaseSync,
    private readonly tx: Transactor,
    private readonly gatewayId: string,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO events (event_id, event_type, device_id, access_code_id, created_at, body) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.peekStmt = db.prepare(
      'SELECT seq, event_type, body FROM events WHERE published = 0 AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.ackStmt = db.prepare('UPDATE events SET published = 1 WHERE seq = ?');
    this.dropOldStmt = db.prepare('DELETE FROM events WHERE created_at < ? AND published = ?');
    this.countUnpublished = db.prepare('SELECT count(*) AS n FROM events WHERE published = 0');
    this.dropExcessStmt = db.prepare(
      'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE published = 0 ORDER BY seq LIMIT ?)',
    );
  }

  /** Writes an event; must run inside the transaction of the change that caused it. */
  append(draft: EventDraft, now: number, occurredAt = now): EventObject {
    const event: EventObject = {
      event_id: randomUUID(),
      event_type: draft.event_type,
      occurred_at: iso(occurredAt),
      created_at: iso(now),
      gateway_id: this.gatewayId,
      device_id: draft.device_id,
      ...(draft.access_code_id ? { access_code_id: draft.access_code_id } : {}),
      ...(draft.action_attempt_id ? { action_attempt_id: draft.action_attempt_id } : {}),
      ...draft.fields,
    };
    this.insertStmt.run(
      event.event_id,
      event.event_type,
      draft.device_id,
      draft.access_code_id ?? null,
      now,
      JSON.stringify(event),
    );
    this.tx.afterCommit(() => this.appended.emit());
    return event;
  }

  peek(afterId: number, limit: number): OutboxMessage[] {
    const rows = this.peekStmt.all(afterId, limit) as Array<{
      seq: number;
      event_type: string;
      body: string;
    }>;
    return rows.map((r) => ({ id: r.seq, topic: `events/${r.event_type}`, payload: r.body, retain: false }));
  }

  acknowledge(message: OutboxMessage): void {
    this.ackStmt.run(message.id);
  }

  onAppend(listener: () => void): () => void {
    return this.appended.add(listener);
  }

  list(filter: EventFilter): EventObject[] {
    const where = ['created_at >= ?'];
    const params: Array<string | number> = [filter.since];
    if (filter.device_id) {
      where.push('device_id = ?');
      params.push(filter.device_id);
    }
    if (filter.access_code_id) {
      where.push('access_code_id = ?');
      params.push(filter.access_code_id);
    }
    if (filter.event_types && filter.event_types.length > 0) {
      where.push(`event_type IN (${filter.event_types.map(() => '?').join(', ')})`);
      params.push(...filter.event_types);
    }
    params.push(filter.limit);
    const rows = this.db
      .prepare(`SELECT body FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`)
      .all(...params) as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as EventObject);
  }

  /**
   * Keeps the log bounded: published history and undelivered events older than max_age go, and
   * the oldest undelivered beyond max_events. Returns how many undelivered events were dropped.
   */
  prune(now: number, bounds: OutboxBounds): number {
    return this.tx.run(() => {
      const cutoff = now - bounds.max_age_ms;
      this.dropOldStmt.run(cutoff, 1);
      let dropped = Number(this.dropOldStmt.run(cutoff, 0).changes);
      const { n } = this.countUnpublished.get() as { n: number };
      if (n > bounds.max_events) dropped += Number(this.dropExcessStmt.run(n - bounds.max_events).changes);
      return dropped;
    });
  }
}
