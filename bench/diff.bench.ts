// The diff engine on the hot path, alone and through the whole bridge.
//   npm run bench:diff
// 1. The pure engine: a full sync of 1,000 locks × 250 slots (ns per slot), and a lock in sync.
// 2. One code changed (a new PIN, until its lock confirmed it) in stores of 2,500, 25,000 and
//    250,000 slots: the cost must not grow with the store.
// 3. One code created (until set) on a lock already holding 10, 100 and 1,000 codes: the cost must
//    not grow with the lock either (flat: ≤ 1.2× from 100 to 1,000).
// CPU is process CPU time (user + system) from the request to the lock's confirmation, the median
// of several operations; locks answer at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOperation, diffLock } from '../src/core/diff.ts';
import type { DesiredCode, ObservedSlot } from '../src/core/slot.ts';
import { eventually } from '../test/helpers/api-client.ts';
import { Harness } from '../test/helpers/bridge-harness.ts';
import { median, timeRuns } from './measure.ts';
import { pinOf, seedLocks } from './seed.ts';

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

// ---- 1. the pure engine ----
const LOCKS = 1000;
const SLOTS = 250;
const desired: DesiredCode[][] = Array.from({ length: LOCKS }, (_, l) =>
  Array.from({ length: SLOTS }, (_, c) => ({
    access_code_id: `${l}-${c}`,
    code: pinOf(l, c),
    schedule: null,
  })),
);
let synced: ObservedSlot[][] = [];
const fullMs = timeRuns(() => {
  synced = desired.map((want) =>
    diffLock({ slotCount: SLOTS, desired: want, observed: [] }).operations.reduce(
      applyOperation,
      [] as ObservedSlot[],
    ),
  );
}, 5);
const inSyncMs = timeRuns(() => {
  for (let l = 0; l < LOCKS; l++) diffLock({ slotCount: SLOTS, desired: desired[l]!, observed: synced[l]! });
}, 5);
const pure = [
  {
    scenario: `full sync, ${LOCKS} locks × ${SLOTS} slots`,
    'time (ms)': Math.round(fullMs),
    'ns per slot': Math.round((fullMs * 1e6) / (LOCKS * SLOTS)),
  },
  {
    scenario: `in sync, ${LOCKS} locks × ${SLOTS} slots`,
    'time (ms)': Math.round(inSyncMs),
    'ns per slot': Math.round((inSyncMs * 1e6) / (LOCKS * SLOTS)),
  },
];

// ---- 2 and 3. through the bridge ----
interface Scenario {
  name: string;
  locks: number;
  slots: number;
  codesPerLock: number;
  /** change: a new PIN for an existing code; create: a new code on lock 0. */
  operation: 'change' | 'create';
}

async function measure(s: Scenario, repeats = 41): Promise<{ cpu: number; wall: number }> {
  const parent = mkdtempSync(join(tmpdir(), 'lockbridge-bench-diff-'));
  const dataDir = join(parent, 'data');
  const driver = seedLocks({
    dataDir,
    gatewayId: 'bench',
    locks: s.locks,
    slots: s.slots,
    codesPerLock: s.codesPerLock,
  });
  const h = new Harness(driver, { dataDir, logLevel: 'warn' });
  await h.startOnline();
  const store = h.bridge.store;
  const deviceId = h.deviceId(0);
  // Quiet first: every lock read at start and found in sync.
  await eventually(() => driver.locks.every((l) => l.slotsRead >= s.slots), 600_000, 'every lock read');
  await new Promise((r) => setTimeout(r, 200));
  const cpu: number[] = [];
  const wall: number[] = [];
  const codes = store.codes.liveForDevice(deviceId);
  for (let i = 0; i < repeats; i++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    let id: string;
    if (s.operation === 'change') {
      id = codes[i]!.access_code_id;
      await h.call('access_codes/update', { access_code_id: id, code: String(700000 + i * 7) });
    } else {
      const created = await h.call('access_codes/create', {
        device_id: deviceId,
        code: String(700000 + i * 7),
      });
      id = created.access_code.access_code_id;
    }
    await eventually(() => store.codes.get(id)?.status === 'set', 60_000, 'set', 1);
    cpu.push(cpuMs() - c0);
    wall.push(performance.now() - t0);
  }
  await h.stop();
  rmSync(parent, { recursive: true, force: true });
  return { cpu: median(cpu), wall: median(wall) };
}

const scenarios: Scenario[] = [
  {
    name: 'one code changed, store of 2,500 slots',
    locks: 10,
    slots: 250,
    codesPerLock: 100,
    operation: 'change',
  },
  {
    name: 'one code changed, store of 25,000 slots',
    locks: 100,
    slots: 250,
    codesPerLock: 100,
    operation: 'change',
  },
  {
    name: 'one code changed, store of 250,000 slots',
    locks: 1000,
    slots: 250,
    codesPerLock: 100,
    operation: 'change',
  },
  {
    name: 'one code created, lock holding 10 codes',
    locks: 1,
    slots: 1100,
    codesPerLock: 10,
    operation: 'create',
  },
  {
    name: 'one code created, lock holding 100 codes',
    locks: 1,
    slots: 1100,
    codesPerLock: 100,
    operation: 'create',
  },
  {
    name: 'one code created, lock holding 1,000 codes',
    locks: 1,
    slots: 1100,
    codesPerLock: 1000,
    operation: 'create',
  },
];
const bridged: Array<Record<string, string | number>> = [];
for (const s of scenarios) {
  const { cpu, wall } = await measure(s);
  bridged.push({
    scenario: s.name,
    'CPU (ms)': Number(cpu.toFixed(2)),
    'wall (ms)': Number(wall.toFixed(2)),
  });
}
const ratio = (a: number, b: number) =>
  Number(((bridged[b]!['CPU (ms)'] as number) / (bridged[a]!['CPU (ms)'] as number)).toFixed(2));

console.log(`diff engine; node ${process.version}`);
console.table(pure);
console.table(bridged);
console.log(
  `CPU ratio, 250,000 ÷ 2,500 slots: ${ratio(0, 2)}; lock of 1,000 ÷ 100 codes: ${ratio(4, 5)} (goal ≤ 1.2)`,
);
