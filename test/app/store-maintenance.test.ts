// The store stays bounded on disk: the maintenance (at start, hourly, and when the event log grew by
// a quarter of outbox.max_events) drops events beyond the bound and old answered requests, then
// empties the write-ahead log into the database; between maintenances SQLite cuts the log back
// after each checkpoint.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Harness, releaseAll, simulatedDriver } from '../helpers/bridge-harness.ts';

const harnesses: Harness[] = [];
afterEach(() => releaseAll(harnesses));

const MiB = 1024 * 1024;

it('empties the write-ahead log and keeps the event log within max_events after maintenance', async () => {
  const h = new Harness(simulatedDriver([{ name: 'Front' }]), { yaml: 'outbox: { max_events: 1000 }' });
  harnesses.push(h);
  const bridge = await h.startOnline();
  const { store } = bridge;
  const wal = () => statSync(join(h.dataDir, 'lockbridge.db-wal')).size;
  // 3,000 events of about 1 KB, in one transaction: the log grows past any checkpoint.
  const padding = 'x'.repeat(1000);
  store.tx.run(() => {
    for (let i = 0; i < 3000; i++) {
      store.events.append(
        { event_type: 'lock.unlocked', device_id: h.deviceId(), fields: { padding, i } },
        Date.now(),
      );
    }
  });
  expect(wal()).toBeGreaterThan(2 * MiB);

  await bridge.maintain();

  expect(wal()).toBe(0);
  expect(store.events.list({ since: 0, limit: 5000 })).toHaveLength(1000);
  expect(store.events.list({ since: 0, limit: 5000 }).at(-1)?.i).toBe(2999);
  // The bridge goes on writing after a checkpoint (the group commit's fsync of the log included).
  expect((await h.call('access_codes/create', { device_id: h.deviceId(), code: '482916' })).ok).toBe(true);
});

it('cuts the write-ahead log back after SQLite checkpoints it, without waiting for the maintenance', async () => {
  const h = new Harness(simulatedDriver([{ name: 'Front' }]));
  harnesses.push(h);
  const { store } = await h.startOnline();
  const wal = () => statSync(join(h.dataDir, 'lockbridge.db-wal')).size;
  const padding = 'x'.repeat(1000);
  const sizes: number[] = [];
  // 20 MB of events, 500 a transaction: SQLite checkpoints every 1,000 pages (4 MiB) on its own.
  for (let t = 0; t < 40; t++) {
    store.tx.run(() => {
      for (let i = 0; i < 500; i++) {
        store.events.append({ event_type: 'lock.unlocked', device_id: h.deviceId(), fields: { padding } }, 0);
      }
    });
    sizes.push(wal());
  }
  // Without journal_size_limit the file would stay at its largest (SQLite reuses it from the start);
  // with it, the file is cut back to 4 MiB each time a checkpoint emptied it.
  expect(Math.max(...sizes)).toBeGreaterThan(3 * MiB);
  const shrank = sizes.some((size, t) => t > 0 && size < sizes[t - 1]!);
  expect(shrank).toBe(true);
  expect(Math.max(...sizes)).toBeLessThan(8 * MiB);
});
