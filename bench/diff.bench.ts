// The diff engine on the hot path: 1,000 locks × 30 codes.
//   npm run bench:diff
// Prints one table: in memory (the pure engine) and through the store (SQLite reads + diff,
// what the reconciler does for a lock). Each figure is the median of several runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ManagedCode, newManagedCode } from '../src/core/access-code.ts';
import { applyOperation, diffLock } from '../src/core/diff.ts';
import type { DesiredCode, ObservedSlot } from '../src/core/slot.ts';
import { Store } from '../src/store/store.ts';

const LOCKS = 1000;
const CODES = 30;
const SLOTS = 50;
const RUNS = 7;

const pinOf = (lock: number, code: number) => String(100000 + ((lock * 7919 + code * 104729) % 900000));

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeIt(run: () => number): { ms: number; ops: number } {
  let ops = 0;
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    ops = run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { ms: median(samples), ops };
}

interface Row {
  scenario: string;
  where: string;
  ms: number;
  ops: number;
}
const rows: Row[] = [];

// ---- in memory ----
const desired: DesiredCode[][] = Array.from({ length: LOCKS }, (_, l) =>
  Array.from({ length: CODES }, (_, c) => ({
    access_code_id: `${l}-${c}`,
    code: pinOf(l, c),
    schedule: null,
  })),
);
const empty: ObservedSlot[][] = desired.map(() => []);
const diffAll = (observed: ObservedSlot[][]) => () =>
  observed.reduce(
    (n, obs, l) => n + diffLock({ slotCount: SLOTS, desired: desired[l]!, observed: obs }).operations.length,
    0,
  );

rows.push({ scenario: 'full sync (every lock empty)', where: 'memory', ...timeIt(diffAll(empty)) });
const synced = empty.map((obs, l) =>
  diffLock({ slotCount: SLOTS, desired: desired[l]!, observed: obs }).operations.reduce(applyOperation, obs),
);
rows.push({ scenario: 'everything in sync', where: 'memory', ...timeIt(diffAll(synced)) });
const changed = desired[500]!.map((d, i) => (i === 7 ? { ...d, code: '975310' } : d));
rows.push({
  scenario: 'one code changed (its lock only)',
  where: 'memory',
  ...timeIt(() => diffLock({ slotCount: SLOTS, desired: changed, observed: synced[500]! }).operations.length),
});

// ---- through the store ----
const dir = mkdtempSync(join(tmpdir(), 'lockbridge-bench-'));
const store = Store.open(join(dir, 'data'), 'bench');
const now = Date.now();
const deviceIds: string[] = [];
store.tx.run(() => {
  for (let l = 0; l < LOCKS; l++) {
    const { device } = store.devices.ensure(`bench:${l}`, 'simulated', `Lock ${l}`, now);
    deviceIds.push(device.device_id);
    for (let c = 0; c < CODES; c++) store.codes.save(managedCode(`${l}-${c}`, device.device_id, pinOf(l, c)));
  }
});

const diffFromStore = (deviceId: string) => {
  const want = store.codes
    .forDevice(deviceId)
    .map((c) => ({ access_code_id: c.access_code_id, code: c.code, schedule: null }));
  return diffLock({ slotCount: SLOTS, desired: want, observed: store.slots.forDevice(deviceId) });
};
rows.push({
  scenario: 'full sync (every lock empty)',
  where: 'store',
  ...timeIt(() => deviceIds.reduce((n, id) => n + diffFromStore(id).operations.length, 0)),
});
store.tx.run(() => {
  for (const id of deviceIds) {
    for (const op of diffFromStore(id).operations) {
      if (op.kind === 'write') store.slots.put(id, applyOperation([], op)[0]!);
    }
  }
});
rows.push({
  scenario: 'everything in sync',
  where: 'store',
  ...timeIt(() => deviceIds.reduce((n, id) => n + diffFromStore(id).operations.length, 0)),
});
const target = deviceIds[500]!;
let flip = 0;
rows.push({
  scenario: 'one code changed (save + its lock)',
  where: 'store',
  ...timeIt(() => {
    const code = store.codes.get('500-7')!;
    store.tx.run(() =>
      store.codes.save({ ...code, code: flip++ % 2 ? '975310' : '864209', revision: code.revision + 1 }),
    );
    return diffFromStore(target).operations.length;
  }),
});
const storeBytes = store.sizeBytes();
store.close();
rmSync(dir, { recursive: true, force: true });

console.log(
  `diff engine: ${LOCKS} locks × ${CODES} codes, ${SLOTS} slots each; median of ${RUNS} runs; node ${process.version}`,
);
console.table(
  rows.map((r) => ({
    scenario: r.scenario,
    where: r.where,
    'time (ms)': Number(r.ms.toFixed(3)),
    operations: r.ops,
  })),
);
const mem = process.memoryUsage();
console.log(
  `store on disk ${(storeBytes / 1048576).toFixed(1)} MiB; heap used ${(mem.heapUsed / 1048576).toFixed(1)} MiB; rss ${(mem.rss / 1048576).toFixed(1)} MiB`,
);

function managedCode(id: string, deviceId: string, pin: string): ManagedCode {
  return newManagedCode({ access_code_id: id, device_id: deviceId, code: pin, created_at: now });
}
