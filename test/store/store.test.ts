import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
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
    expect(store.events.peek(0, 10)).toEqual([]);
    expect(announced).toBe(0);
    store.tx.run(() =>
      store.events.append({ event_type: 'device.connected', device_id: device.device_id }, T0),
    );
    expect(announced).toBe(1);
    store.close();
  });

  it('the event outbox hands out oldest first and forgets only what was acknowledged', () => {
    const store = Store.open(freshDir(), 'hub-1');
    store.tx.run(() => {
      for (let i = 0; i < 5; i++)
        store.events.append({ event_type: 'device.connected', device_id: `d${i}` }, T0 + i);
    });
    const batch = store.events.peek(0, 3);
    expect(batch.map((m) => JSON.parse(m.payload).device_id)).toEqual(['d0', 'd1', 'd2']);
    expect(batch[0]).toMatchObject({ topic: 'events/device.connected', retain: false });
    store.events.acknowledge(batch[1]!);
    expect(store.events.peek(0, 10).map((m) => JSON.parse(m.payload).device_id)).toEqual([
      'd0',
      'd2',
      'd3',
      'd4',
    ]);
    expect(store.events.list({ since: T0, limit: 10 })).toHaveLength(5);
    store.close();
  });

  it('keeps the outbox bounded by count and age, and says how many undelivered events it dropped', () => {
    const store = Store.open(freshDir(), 'hub-1');
    store.tx.run(() => {
      for (let i = 0; i < 10; i++)
        store.events.append({ event_type: 'device.connected', device_id: `d${i}` }, T0 + i * 1000);
    });
    expect(store.events.prune(T0 + 9000, { max_age_ms: 1e9, max_events: 6 })).toBe(4);
    expect(store.events.peek(0, 100).map((m) => JSON.parse(m.payload).device_id)[0]).toBe('d4');
    expect(store.events.prune(T0 + 9000 + 4500, { max_age_ms: 5000, max_events: 100 })).toBe(5);
    store.close();
  });

  it('retained state keeps only the newest payload of a topic, and an acknowledged old one does not remove a newer', () => {
    const store = Store.open(freshDir(), 'hub-1');
    store.tx.run(() => store.state.put('devices/a', '{"v":1}'));
    const [old] = store.state.peek(0, 10);
    store.tx.run(() => store.state.put('devices/a', '{"v":2}'));
    store.state.acknowledge(old!);
    expect(store.state.peek(0, 10).map((m) => m.payload)).toEqual(['{"v":2}']);
    store.close();
  });

  it('remembers answered requests for 24 hours', () => {
    const store = Store.open(freshDir(), 'hub-1');
    store.tx.run(() => store.requests.remember('r1', { ok: true }, T0));
    expect(store.requests.answered('r1', T0 + 1000)).toEqual({ ok: true });
    expect(store.requests.answered('r1', T0 + 24 * 3600_000 + 1)).toBeUndefined();
    store.close();
  });
});
