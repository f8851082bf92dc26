import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { newManagedCode } from '../../src/core/access-code.ts';
import { attemptSucceeded, pendingAttempt } from '../../src/core/action-attempt.ts';
import { SCHEMA_VERSION } from '../../src/store/migrations.ts';
import { Store } from '../../src/store/store.ts';

const dirs: string[] = [];
function freshDir(): string {
  const parent = mkdtempSync(join(tmpdir(), 'lockbridge-store-'));
  dirs.push(parent);
  return join(parent, 'data');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

describe('store', () => {
  it('creates a 0700 data dir with 0600 files, in WAL mode with synchronous FULL', () => {
    const dir = freshDir();
    const store = Store.open(dir, 'hub-1');
    store.tx.run(() => store.devices.ensure('sim:1', 'simulated', 'Front', T0));
    store.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const file of ['lockbridge.db', 'lockbridge.db-wal', 'lockbridge.db-shm']) {
      try {
        expect(statSync(join(dir, file)).mode & 0o777, file).toBe(0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    const db = new DatabaseSync(join(dir, 'lockbridge.db'));
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: SCHEMA_VERSION });
    db.close();
    const reopened = Store.open(dir, 'hub-1');
    expect(reopened.devices.list()).toHaveLength(1);
    reopened.close();
  });

  it('refuses a store written by a newer version instead of damaging it', () => {
    const dir = freshDir();
    Store.open(dir, 'hub-1').close();
    const db = new DatabaseSync(join(dir, 'lockbridge.db'));
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => Store.open(dir, 'hub-1')).toThrow(/newer than this lockbridge knows/);
  });

  it('a failed transaction leaves nothing behind and announces nothing', () => {
    const store = Store.open(freshDir(), 'hub-1');
    let announced = 0;
    store.events.onAppend(() => announced++);
    const { device } = store.tx.run(() => store.devices.ensure('sim:1', 'simulated', 'Front', T0));
    expect(() =>
      store.tx.run(() => {
        store.events.append({ event_type: 'device.connected', device_id: device.device_id }, T0);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.events.after(0, 10)).toEqual([]);
    expect(announced).toBe(0);
    store.tx.run(() =>
      store.events.append({ event_type: 'device.connected', device_id: device.device_id }, T0),
    );
    expect(announced).toBe(1);
    store.close();
  });

  it('tells its listeners once a commit, however many events it holds; an undone request silences no later one', async () => {
    const store = Store.open(freshDir(), 'hub-1');
    let announced = 0;
    store.events.onAppend(() => announced++);
    const append = (device_id: string) =>
      store.events.append({ event_type: 'device.connected', device_id }, T0);
    store.tx.run(() => ['d1', 'd2', 'd3'].forEach(append));
    expect(announced).toBe(1);
    // A group commit in which the first request fails after its event and the second one appends.
    const failing = store.tx.grouped(() => {
      append('undone');
      throw new Error('refused');
    });
    const fine = store.tx.grouped(() => append('d4'));
    await expect(failing).rejects.toThrow('refused');
    await fine;
    expect(announced).toBe(2);
    store.tx.run(() => append('d5'));
    expect(announced).toBe(3);
    expect(store.events.after(0, 10).map((r) => JSON.parse(r.body).device_id)).toEqual([
      'd1',
      'd2',
      'd3',
      'd4',
      'd5',
    ]);
    store.close();
  });

  it('each event consumer has its own cursor: oldest first, moved only past what it acknowledged', () => {
    const store = Store.open(freshDir(), 'hub-1');
    store.events.declareConsumers(['mqtt', 'webhook:a']);
    store.tx.run(() => {
      for (let i = 0; i < 5; i++)
        store.events.append({ event_type: 'device.connected', device_id: `d${i}` }, T0 + i);
    });
    const mqtt = store.events.feed('mqtt');
    const hook = store.events.feed('webhook:a');
    const devices = (records: Array<{ body: string }>) => records.map((r) => JSON.parse(r.body).device_id);
    const batch = mqtt.peek(0, 3);
    expect(devices(batch)).toEqual(['d0', 'd1', 'd2']);
    // Out of order: the cursor waits for d0 before it moves past d1.
    mqtt.acknowledge(batch[1]!.seq);
    expect(devices(mqtt.peek(0, 10))).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
    mqtt.acknowledge(batch[0]!.seq);
    expect(devices(mqtt.peek(0, 10))).toEqual(['d2', 'd3', 'd4']);
    // The other consumer is not held back, nor moved on.
    expect(devices(hook.peek(0, 10))).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
    expect(store.events.backlogs()).toEqual([
      { consumer: 'mqtt', undelivered: 3, oldest_created_at: T0 + 2 },
      { consumer: 'webhook:a', undelivered: 5, oldest_created_at: T0 },
    ]);
    expect(store.events.list({ since: T0, limit: 10 })).toHaveLength(5);
    store.close();
  });

  it('a cursor survives a restart; a new consumer starts at the newest event; a forgotten one goes', async () => {
    const dir = freshDir();
    const store = Store.open(dir, 'hub-1');
    store.events.declareConsumers(['mqtt']);
    store.tx.run(() => {
      for (let i = 0; i < 3; i++)
        store.events.append({ event_type: 'device.connected', device_id: `d${i}` }, T0);
    });
    store.events.feed('mqtt').acknowledge(store.events.feed('mqtt').peek(0, 1)[0]!.seq);
    await new Promise((r) => setImmediate(r)); // the position is written once per turn of the loop
    store.close();
    const reopened = Store.open(dir, 'hub-1');
    reopened.events.declareConsumers(['mqtt', 'webhook:new']);
    expect(reopened.events.feed('mqtt').peek(0, 10)).toHaveLength(2);
    expect(reopened.events.feed('webhook:new').peek(0, 10)).toHaveLength(0);
    reopened.events.declareConsumers(['webhook:new']);
    expect(reopened.events.backlogs().map((b) => b.consumer)).toEqual(['webhook:new']);
    reopened.close();
  });

  it('keeps the log bounded by count and age, and says how many undelivered events each consumer lost', () => {
    const store = Store.open(freshDir(), 'hub-1');
    store.events.declareConsumers(['mqtt']);
    store.tx.run(() => {
      for (let i = 0; i < 10; i++)
        store.events.append({ event_type: 'device.connected', device_id: `d${i}` }, T0 + i * 1000);
    });
    expect(store.events.prune(T0 + 9000, { max_age_ms: 1e9, max_events: 6 })).toEqual(new Map([['mqtt', 4]]));
    expect(JSON.parse(store.events.feed('mqtt').peek(0, 100)[0]!.body).device_id).toBe('d4');
    expect(store.events.prune(T0 + 9000 + 4500, { max_age_ms: 5000, max_events: 100 })).toEqual(
      new Map([['mqtt', 5]]),
    );
    store.close();
  });

  it('keeps at most max_events in the log, delivered ones too, pruning in chunks', async () => {
    const store = Store.open(freshDir(), 'hub-1');
    store.events.declareConsumers(['mqtt']);
    store.tx.run(() => {
      for (let i = 0; i < 10; i++)
        store.events.append({ event_type: 'device.connected', device_id: `d${i}` }, T0 + i * 1000);
    });
    const feed = store.events.feed('mqtt');
    for (const record of feed.peek(0, 100)) feed.acknowledge(record.seq); // all delivered
    await new Promise((r) => setImmediate(r)); // the cursor moves once a turn
    const plan = store.events.planPrune(T0 + 9000, { max_age_ms: 1e9, max_events: 6 });
    expect(plan.lost).toEqual(new Map()); // nobody loses an undelivered event
    expect(store.events.pruneSome(plan, 3)).toBe(3);
    expect(store.events.pruneSome(plan, 3)).toBe(1);
    expect(store.events.pruneSome(plan, 3)).toBe(0);
    const kept = store.events.list({ since: 0, limit: 100 }).map((e) => e.device_id);
    expect(kept).toEqual(['d4', 'd5', 'd6', 'd7', 'd8', 'd9']);
    store.close();
  });

  it('retained state keeps only the newest state of an object, and an acknowledged old one does not remove a newer', () => {
    const store = Store.open(freshDir(), 'hub-1');
    store.tx.run(() => store.retained.put('device', 'a', { v: 1 }));
    const [old] = store.retained.peek(0, 10);
    store.tx.run(() => store.retained.put('device', 'a', { v: 2 }));
    store.retained.acknowledge(old!.seq);
    expect(store.retained.peek(0, 10).map((r) => [r.kind, r.id, r.body])).toEqual([
      ['device', 'a', '{"v":2}'],
    ]);
    store.tx.run(() => store.retained.put('access_code', 'c', null));
    expect(store.retained.peek(0, 10).map((r) => r.body)).toEqual(['{"v":2}', null]);
    store.close();
  });

  it('a state kept in memory (the disk was full) goes out in order with the stored ones: a publisher reading after its last seq misses neither', () => {
    const store = Store.open(freshDir(), 'hub-1');
    store.tx.run(() => store.retained.put('device', 'a', { v: 1 }));
    let cursor = 0;
    const next = () => {
      const batch = store.retained.peek(cursor, 10);
      for (const record of batch) {
        cursor = record.seq;
        store.retained.acknowledge(record.seq);
      }
      return batch.map((r) => [r.kind, r.body]);
    };
    expect(next()).toEqual([['device', '{"v":1}']]);
    store.retained.putInMemory('bridge_info', '', { writable: false });
    store.retained.putInMemory('bridge_info', '', { writable: false, again: true });
    expect(next()).toEqual([['bridge_info', '{"writable":false,"again":true}']]);
    // The disk writes again: what is stored next is read after the in-memory state.
    store.tx.run(() => store.retained.put('bridge_info', '', { writable: true }));
    store.tx.run(() => store.retained.put('device', 'a', { v: 2 }));
    expect(next()).toEqual([
      ['bridge_info', '{"writable":true}'],
      ['device', '{"v":2}'],
    ]);
    expect(store.retained.peek(0, 10)).toEqual([]);
    store.close();
  });

  it('remembers answered requests for 24 hours', () => {
    const store = Store.open(freshDir(), 'hub-1');
    store.tx.run(() => store.requests.remember('r1', { ok: true }, T0));
    expect(store.requests.answered('r1', T0 + 1000)).toEqual({ ok: true });
    expect(store.requests.answered('r1', T0 + 24 * 3600_000 + 1)).toBeUndefined();
    store.close();
  });

  it("keeps bridge/info's code counts right through every change, and counts an older store's codes when migrating", () => {
    const dir = freshDir();
    let store = Store.open(dir, 'hub-1');
    const { device } = store.devices.ensure('sim:A', 'simulated', 'Front', T0);
    const statuses = ['setting', 'set', 'unset', 'removing', 'unknown'] as const;
    let seed = 7;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const live = new Set<string>();
    const churn = (rounds: number) =>
      store.tx.run(() => {
        for (let i = 0; i < rounds; i++) {
          const id = `c${Math.floor(random() * 60)}`;
          if (random() < 0.2 && live.has(id)) {
            store.codes.remove(id);
            live.delete(id);
            continue;
          }
          store.codes.save({
            ...newManagedCode({
              access_code_id: id,
              device_id: device.device_id,
              code: '1234',
              created_at: T0,
            }),
            status: statuses[Math.floor(random() * statuses.length)]!,
            suspended: random() < 0.3,
            deleted_at: random() < 0.3 ? T0 : null,
          });
          live.add(id);
        }
      });
    const counted = (db: Store) => db.health.codeCounts();
    const truth = () => {
      const raw = new DatabaseSync(join(dir, 'lockbridge.db'), { readOnly: true });
      const rows = raw
        .prepare(
          'SELECT status, suspended, deleted_at IS NOT NULL AS deleted, count(*) AS n FROM access_codes GROUP BY 1, 2, 3',
        )
        .all() as Array<{ status: string; suspended: number; deleted: number; n: number }>;
      raw.close();
      const expected = { by_status: {} as Record<string, number>, failed: 0, awaiting_removal: 0 };
      for (const r of rows) {
        if (r.deleted) expected.awaiting_removal += r.n;
        else {
          expected.by_status[r.status] = (expected.by_status[r.status] ?? 0) + r.n;
          if (r.suspended) expected.failed += r.n;
        }
      }
      return expected;
    };
    churn(3000);
    expect(counted(store)).toEqual(truth());
    // A store from before the counts (schema 7): counted once, when it is migrated.
    store.close();
    const raw = new DatabaseSync(join(dir, 'lockbridge.db'));
    raw.exec(`DROP TRIGGER access_codes_counted_in; DROP TRIGGER access_codes_counted_out;
      DROP TRIGGER access_codes_counted_again; DROP TABLE code_counts; DROP INDEX action_attempts_pending;
      DROP INDEX action_attempts_ended; PRAGMA user_version = 7`);
    raw.close();
    store = Store.open(dir, 'hub-1');
    expect(counted(store)).toEqual(truth());
    churn(500);
    expect(counted(store)).toEqual(truth());
    store.close();
  });

  it('forgets action attempts that ended long enough ago, never a pending one', () => {
    const store = Store.open(freshDir(), 'hub-1');
    const old = pendingAttempt('a-old', 'DELETE_ACCESS_CODE', 'd', 'c', T0);
    const recent = pendingAttempt('a-recent', 'DELETE_ACCESS_CODE', 'd', 'c', T0);
    const waiting = pendingAttempt('a-waiting', 'UNLOCK_DOOR', 'd', null, T0);
    store.tx.run(() => {
      store.attempts.save(attemptSucceeded(old).attempt, T0 + 1000);
      store.attempts.save(attemptSucceeded(recent).attempt, T0 + 5000);
      store.attempts.save(waiting, T0);
    });
    expect(store.tx.run(() => store.attempts.prune(T0 + 2000))).toBe(1);
    expect(store.attempts.get('a-old')).toBeUndefined();
    expect(store.attempts.get('a-recent')?.status).toBe('success');
    expect(store.attempts.get('a-waiting')?.status).toBe('pending');
    store.close();
  });

  it('remembers them for requests.memory_hours when set, and forgets older ones in chunks', () => {
    const store = Store.open(freshDir(), 'hub-1');
    store.requests.memoryMs = 3600_000;
    store.tx.run(() => {
      for (let i = 0; i < 5; i++) store.requests.remember(`r${i}`, { ok: true, i }, T0 + i);
    });
    expect(store.requests.answered('r4', T0 + 3600_000)).toEqual({ ok: true, i: 4 });
    expect(store.requests.answered('r0', T0 + 3600_000)).toBeUndefined();
    expect(store.tx.run(() => store.requests.prune(T0 + 3600_003, 2))).toBe(2);
    expect(store.tx.run(() => store.requests.prune(T0 + 3600_003, 2))).toBe(2);
    expect(store.tx.run(() => store.requests.prune(T0 + 3600_003, 2))).toBe(0);
    expect(store.requests.answered('r4', T0 + 3600_003)).toEqual({ ok: true, i: 4 });
    store.close();
  });
});
