// What keeping a hub's health current costs, on a large hub: 1,000 locks × 30 codes and 100,000
// events the broker has not taken yet (a long outage).
//   npm run bench:health
// Prints one table: the store's part of bridge/info and `lockbridge status` (every 5 s while the
// bridge runs), the watchdog's store read (every 15 s), Home Assistant's code counts (every lock
// at start, then one lock at a time), and a backup of that store. Median of several runs.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeInfo } from '../src/app/bridge-info.ts';
import { backupStore } from '../src/app/store-backup.ts';
import { newManagedCode } from '../src/core/access-code.ts';
import { Store } from '../src/store/store.ts';
import { timeRuns } from './measure.ts';

const LOCKS = 1000;
const CODES = 30;
const EVENTS = 100_000;
const RUNS = 7;

const timeIt = (run: () => void, runs = RUNS): number => timeRuns(run, runs);

const dir = mkdtempSync(join(tmpdir(), 'lockbridge-bench-health-'));
const store = Store.open(join(dir, 'data'), 'bench');
store.events.declareConsumers(['mqtt']);
const now = Date.now();
store.tx.run(() => {
  for (let l = 0; l < LOCKS; l++) {
    const { device } = store.devices.ensure(`bench:${l}`, 'simulated', `Lock ${l}`, now);
    for (let c = 0; c < CODES; c++) {
      const code = newManagedCode({
        access_code_id: `${l}-${c}`,
        device_id: device.device_id,
        code: String(100000 + l * 31 + c),
        created_at: now,
        status: c % 10 === 0 ? 'setting' : 'set',
      });
      store.codes.save(code);
    }
  }
  for (let e = 0; e < EVENTS; e++) {
    store.events.append(
      { event_type: 'access_code.set_on_device', device_id: 'bench', access_code_id: `${e}` },
      now,
    );
  }
});

const rows: Array<{ measure: string; 'time (ms)': number; note: string }> = [];
const info = storeInfo(store, 'bench', Date.now());
rows.push({
  measure: "bridge/info, the store's part",
  'time (ms)': timeIt(() => storeInfo(store, 'bench', Date.now())),
  note: `${(info.codes.set ?? 0) + (info.codes.setting ?? 0)} codes, ${info.event_backlog[0]!.undelivered} undelivered events`,
});
// The broker took everything (the usual case): the backlog is empty.
store.events.prune(Date.now(), { max_age_ms: 86_400_000, max_events: 1 });
rows.push({
  measure: "bridge/info, the store's part, no backlog",
  'time (ms)': timeIt(() => storeInfo(store, 'bench', Date.now())),
  note: `${storeInfo(store, 'bench', Date.now()).event_backlog[0]!.undelivered} undelivered event`,
});
rows.push({
  measure: 'watchdog: the store answers a read',
  'time (ms)': timeIt(() => store.health.ping()),
  note: '',
});

// Home Assistant's code counts come from the store, one lock at a time, when a lock's state is
// published: every lock at start (and when Home Assistant comes online), one lock when a code changes.
const deviceIds = store.devices.list().map((d) => d.device_id);
rows.push({
  measure: 'Home Assistant: every lock counted (start)',
  'time (ms)': timeIt(() => {
    for (const id of deviceIds) store.codes.countsOf(id);
  }),
  note: `${deviceIds.length} locks, ${LOCKS * CODES} codes`,
});
rows.push({
  measure: 'Home Assistant: one lock counted (a code changed)',
  'time (ms)': timeIt(() => store.codes.countsOf(deviceIds[123]!), 1001),
  note: `${CODES} codes on the lock; median of 1001`,
});

const out = join(dir, 'backup.db');
rows.push({
  measure: 'lockbridge backup (VACUUM INTO, integrity check)',
  'time (ms)': timeIt(() => backupStore(join(dir, 'data'), out), 3),
  note: `${(store.sizeBytes() / 1048576).toFixed(1)} MiB store → ${(statSync(out).size / 1048576).toFixed(1)} MiB copy`,
});
store.close();
rmSync(dir, { recursive: true, force: true });

console.log(
  `health: ${LOCKS} locks × ${CODES} codes, ${EVENTS} undelivered events; median of ${RUNS} runs unless noted; node ${process.version}`,
);
console.table(rows.map((r) => ({ ...r, 'time (ms)': Number(r['time (ms)'].toFixed(3)) })));
