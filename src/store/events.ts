// The event log: an event is written in the transaction of the change that caused it, and kept
// for events/list. Each consumer (MQTT, a webhook endpoint) reads it through its own durable
// cursor, so every consumer gets every event at least once, oldest first, and a slow or dead one
// holds back nobody else.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { iso } from '../core/access-code.ts';
import type { EventDraft } from '../core/events.ts';
import { Listeners } from './listeners.ts';
import type { Transactor } from './transaction.ts';

export type EventObject = Record<string, unknown> & { event_id: string; event_type: string };

/** An event as the log holds it. */
export interface EventRecord {
  /** Increasing: oldest first. */
  seq: number;
  event_type: string;
  /** Epoch ms. */
  created_at: number;
  /** The event object as JSON. */
  body: string;
}

export interface EventFilter {
  since: number;
  device_id?: string;
  access_code_id?: string;
  event_types?: string[];
  limit: number;
}

export interface OutboxBounds {
  max_age_ms: number;
  /** Events the log keeps at most (the oldest go first, delivered or not). */
  max_events: number;
}

/** What a prune takes: events older than `cutoff`, and every event before `keepFrom` (the count bound). */
export interface PrunePlan {
  cutoff: number;
  keepFrom: number;
  /** Undelivered events each consumer loses. */
  lost: Map<string, number>;
}

/** One consumer's view of the log: what it has not acknowledged yet. */
export interface EventFeed {
  readonly consumer: string;
  /** Up to `limit` events after afterSeq that this consumer has not acknowledged, oldest first. */
  peek(afterSeq: number, limit: number): EventRecord[];
  /** Delivered. The cursor moves past an event once it and every event before it are acknowledged. */
  acknowledge(seq: number): void;
  /** Called after new events were committed; returns an unsubscribe function. */
  onAppend(listener: () => void): () => void;
}

/** The log as transports read it. */
export interface EventSource {
  /** A declared consumer's durable feed. */
  feed(consumer: string): EventFeed;
  /** Events after `seq`, oldest first (live watchers that keep their own position). */
  after(seq: number, limit: number): EventRecord[];
  /** The newest event's seq (0 for none). */
  head(): number;
  onAppend(listener: () => void): () => void;
}

export class EventLog implements EventSource {
  private readonly insertStmt: StatementSync;
  private readonly afterStmt: StatementSync;
  private readonly seqsAfterStmt: StatementSync;
  private readonly headStmt: StatementSync;
  private readonly dropBeforeStmt: StatementSync;
  private readonly dropOlderStmt: StatementSync;
  private readonly newestStmt: StatementSync;
  private readonly lostStmt: StatementSync;
  private readonly consumersStmt: StatementSync;
  private readonly addConsumerStmt: StatementSync;
  private readonly dropConsumerStmt: StatementSync;
  private readonly moveConsumerStmt: StatementSync;
  private readonly backlogStmt: StatementSync;
  private readonly appended = new Listeners();
  private readonly cursors = new Map<string, EventCursor>();
  private declared = new Set<string>();
  /** An append of the transaction running now will tell the listeners once it committed. */
  private noticePending = false;

  constructor(
    private readonly db: DatabaseSync,
    private readonly tx: Transactor,
    private readonly gatewayId: string,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO events (event_id, event_type, device_id, access_code_id, created_at, body) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.afterStmt = db.prepare(
      'SELECT seq, event_type, created_at, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.seqsAfterStmt = db.prepare('SELECT seq FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
    this.headStmt = db.prepare('SELECT coalesce(max(seq), 0) AS head FROM events');
    // In chunks (a prune may take a hundred thousand events): the event loop turns in between.
    this.dropBeforeStmt = db.prepare(
      'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq < ? ORDER BY seq LIMIT ?)',
    );
    this.dropOlderStmt = db.prepare(
      'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE created_at < ? LIMIT ?)',
    );
    this.newestStmt = db.prepare('SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?');
    this.lostStmt = db.prepare(
      'SELECT count(*) AS n FROM events WHERE seq > :position AND (seq < :keepFrom OR created_at < :cutoff)',
    );
    this.consumersStmt = db.prepare('SELECT name, position FROM event_consumers');
    this.addConsumerStmt = db.prepare('INSERT OR IGNORE INTO event_consumers (name, position) VALUES (?, ?)');
    this.dropConsumerStmt = db.prepare('DELETE FROM event_consumers WHERE name = ?');
    this.moveConsumerStmt = db.prepare('UPDATE event_consumers SET position = ? WHERE name = ?');
    this.backlogStmt = db.prepare('SELECT seq, created_at FROM events WHERE seq > ? ORDER BY seq LIMIT 1');
    // A rollback (of a request's savepoint too) may have dropped the notice with what it undid.
    tx.onRollback(() => {
      this.noticePending = false;
    });
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
    // One notice per commit, however many events it holds (a group commit of 64 creates).
    if (!this.noticePending) {
      this.noticePending = true;
      this.tx.afterCommit(() => {
        this.noticePending = false;
        this.appended.emit();
      });
    }
    return event;
  }

  /** Events after `seq`, oldest first (live watchers that keep their own position). */
  after(seq: number, limit: number): EventRecord[] {
    return this.afterStmt.all(seq, limit) as unknown as EventRecord[];
  }

  /** The seqs of the next `limit` events after `seq`, oldest first. */
  seqsAfter(seq: number, limit: number): number[] {
    return (this.seqsAfterStmt.all(seq, limit) as Array<{ seq: number }>).map((row) => row.seq);
  }

  /** The newest event's seq (0 for none). */
  head(): number {
    return (this.headStmt.get() as { head: number }).head;
  }

  onAppend(listener: () => void): () => void {
    return this.appended.add(listener);
  }

  /**
   * The durable consumers are exactly `names`: a new one starts at the newest event (it gets what
   * happens from now on), and one no longer named is forgotten so it holds back no pruning.
   */
  declareConsumers(names: readonly string[]): void {
    this.declared = new Set(names);
    for (const name of this.cursors.keys()) if (!names.includes(name)) this.cursors.delete(name);
    this.tx.run(() => {
      const head = this.head();
      for (const { name } of this.consumerRows()) if (!names.includes(name)) this.dropConsumerStmt.run(name);
      for (const name of names) this.addConsumerStmt.run(name, head);
    });
  }

  /** A declared consumer's feed. */
  feed(name: string): EventFeed {
    let cursor = this.cursors.get(name);
    if (!cursor) {
      if (!this.declared.has(name)) throw new Error(`event consumer "${name}" was not declared`);
      // Declared, with no row when the store could not write it (a full disk): from the newest event.
      const row = this.consumerRows().find((r) => r.name === name) ?? { name, position: this.head() };
      cursor = new EventCursor(this, name, row.position, (position) =>
        this.moveConsumerStmt.run(position, name),
      );
      this.cursors.set(name, cursor);
    }
    return cursor;
  }

  /**
   * How far each consumer is behind: undelivered events and when the first of them was created.
   * Counted from sequence numbers, not row by row (bridge/info asks every few seconds, and a long
   * outage leaves a hundred thousand): exact while events go oldest first, as pruning takes them
   * (a clock stepped back can leave a gap, counted).
   */
  backlogs(): Array<{ consumer: string; undelivered: number; oldest_created_at: number | null }> {
    const head = this.head();
    return this.consumerRows().map(({ name }) => {
      const position = this.cursors.get(name)?.position ?? this.positionOf(name);
      const first = this.backlogStmt.get(position) as { seq: number; created_at: number } | undefined;
      return {
        consumer: name,
        undelivered: first ? head - first.seq + 1 : 0,
        oldest_created_at: first?.created_at ?? null,
      };
    });
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
   * Keeps the log bounded: events older than max_age go, and the log keeps at most max_events (the
   * oldest go first, delivered or not: a consumer that had not got them skips them). Returns how
   * many undelivered events each consumer lost. All at once; the bridge's maintenance goes in
   * chunks (planPrune, pruneSome).
   */
  prune(now: number, bounds: OutboxBounds): Map<string, number> {
    const plan = this.planPrune(now, bounds);
    while (this.pruneSome(plan, Number.MAX_SAFE_INTEGER) > 0);
    return plan.lost;
  }

  /** What a prune will take now, and what each consumer loses by it. */
  planPrune(now: number, bounds: OutboxBounds): PrunePlan {
    const cutoff = now - bounds.max_age_ms;
    const beyond = this.newestStmt.get(bounds.max_events - 1) as { seq: number } | undefined;
    const keepFrom = beyond?.seq ?? 0;
    const lost = new Map<string, number>();
    for (const { name } of this.consumerRows()) {
      const position = this.cursors.get(name)?.position ?? this.positionOf(name);
      const { n } = this.lostStmt.get({ position, keepFrom, cutoff }) as { n: number };
      if (n > 0) lost.set(name, n);
    }
    return { cutoff, keepFrom, lost };
  }

  /** Deletes up to `limit` events the plan takes, in one transaction; returns how many (0: done). */
  pruneSome(plan: PrunePlan, limit: number): number {
    return this.tx.run(
      () => {
        let deleted = Number(this.dropBeforeStmt.run(plan.keepFrom, limit).changes);
        if (deleted < limit) deleted += Number(this.dropOlderStmt.run(plan.cutoff, limit - deleted).changes);
        return deleted;
      },
      // Losing a delete in a power cut costs doing it again.
      { durable: false },
    );
  }

  private consumerRows(): Array<{ name: string; position: number }> {
    return this.consumersStmt.all() as Array<{ name: string; position: number }>;
  }

  private positionOf(name: string): number {
    return this.consumerRows().find((r) => r.name === name)?.position ?? 0;
  }
}

/**
 * One consumer's durable position in the log. Acknowledgements may come out of order; the
 * position moves past an event only once every event up to it is acknowledged. It is worked out
 * (one read of the log) and written to the store once per turn of the event loop however many
 * acknowledgements came in it, or before the next peek.
 */
class EventCursor implements EventFeed {
  private readonly early = new Set<number>();
  private saved: number;
  private saveScheduled = false;

  constructor(
    private readonly log: EventLog,
    readonly consumer: string,
    public position: number,
    private readonly save: (position: number) => void,
  ) {
    this.saved = position;
  }

  peek(afterSeq: number, limit: number): EventRecord[] {
    this.advance();
    return this.log.after(Math.max(afterSeq, this.position), limit);
  }

  acknowledge(seq: number): void {
    if (seq <= this.position) return;
    this.early.add(seq);
    this.scheduleSave();
  }

  onAppend(listener: () => void): () => void {
    return this.log.onAppend(listener);
  }

  /** Past every event acknowledged with all those before it: one read for a turn's acknowledgements. */
  private advance(): void {
    if (this.early.size === 0) return;
    for (const seq of this.log.seqsAfter(this.position, this.early.size)) {
      if (!this.early.delete(seq)) break;
      this.position = seq;
    }
  }

  private scheduleSave(): void {
    if (this.saveScheduled) return;
    this.saveScheduled = true;
    setImmediate(() => {
      this.saveScheduled = false;
      this.advance();
      if (this.position === this.saved) return;
      try {
        this.save(this.position);
        this.saved = this.position;
      } catch {
        // The store refused (full disk): the events go out again after a restart, a duplicate,
        // never a loss; the next acknowledgement tries again.
      }
    });
  }
}
