// The minute sweep on a large store: how long it keeps the event loop from turning (a request that
// arrives then waits that long). The sweep is the safety net under the window timer: each minute
// it judges the clock, wakes the locks with a window boundary since the last look or a code waiting
// for them, and refreshes bridge/info; the woken locks then run their steps, one at a time.
//   npm run bench:sweep
// 10 locks × 100 codes and 1,000 locks × 100 codes, every 100th code time-bound with its window
// ending in the minute swept (1 % of the codes: their locks clear them). The clock is moved a
// minute on, then the sweep runs as its minute timer runs it; the longest loop delay is read from
// perf_hooks' monitorEventLoopDelay (1 ms resolution) from the sweep until every woken lock is done.
// bridge/info's refresh (every 5 s) is timed too: it is the other periodic work of an idle hub.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { eventually } from '../test/helpers/api-client.ts';
import { Harness } from '../test/helpers/bridge-harness.ts';
import { seedLocks } from './seed.ts';

const GOAL_MS = 50;
const CODES_PER_LOCK = 100;
const WINDOW_EVERY = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  codes: number;
  woken: number;
  cleared: number;
  sweepMs: number;
  p99Ms: number;
  quietMs: number;
  infoMs: number;
}

async function measure(locks: number): Promise<Row> {
  const parent = mkdtempSync(join(tmpdir(), 'lockbridge-bench-sweep-'));
  const dataDir = join(parent, 'data');
  let clock = Date.now();
  const driver = seedLocks({
    dataDir,
    gatewayId: 'bench',
    locks,
    slots: CODES_PER_LOCK + 10,
    codesPerLock: CODES_PER_LOCK,
    latencyMs: 5,
    windows: { every: WINDOW_EVERY, endsAt: clock + 30_000 },
  });
  const h = new Harness(driver, { dataDir, logLevel: 'warn', now: () => clock });
  try {
    const bridge = await h.startOnline();
    const { store } = bridge;
    // Every lock read at start, and quiet.
    await eventually(
      () => store.devices.list().every((d) => (d.slots_read_at ?? 0) >= clock),
      120_000,
      'read',
    );
    await eventually(() => bridge.reconciler.health().running === 0, 60_000, 'quiet');
    await sleep(1000);

    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    await sleep(2000);
    const quietMs = histogram.max / 1e6;

    // Looked at cheaply (the benchmark shares the event loop it measures): the locks' clear count.
    const clears = () => driver.locks.reduce((n, lock) => n + lock.model.clearCount, 0);
    const before = clears();
    const expected = locks * Math.ceil(CODES_PER_LOCK / WINDOW_EVERY);
    histogram.reset();
    clock += 60_000; // a minute on: every window ended within it
    await bridge.clock.sweepNow();
    await eventually(() => clears() - before >= expected, 120_000, 'the expired codes cleared', 50);
    await eventually(() => bridge.reconciler.health().running === 0, 60_000, 'quiet again');
    histogram.disable();
    const sweepMs = histogram.max / 1e6;
    const p99Ms = histogram.percentile(99) / 1e6;

    const infos: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      bridge.refreshInfo();
      infos.push(performance.now() - start);
    }
    return {
      codes: locks * CODES_PER_LOCK,
      woken: locks,
      cleared: expected,
      sweepMs,
      p99Ms,
      quietMs,
      infoMs: Math.max(...infos),
    };
  } finally {
    await h.stop();
    rmSync(parent, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const locks of [10, 1000]) rows.push(await measure(locks));
console.log(
  `sweep: the minute sweep with every ${WINDOW_EVERY}th code's window ending; node ${process.version}, ` +
    `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; goal: the loop never blocked ${GOAL_MS} ms or more`,
);
console.table(
  rows.map((r) => ({
    codes: r.codes,
    'locks woken': r.woken,
    'codes expired and cleared': r.cleared,
    'longest loop block (ms)': Number(r.sweepMs.toFixed(1)),
    'p99 (ms)': Number(r.p99Ms.toFixed(1)),
    'longest ÷ goal': Number((r.sweepMs / GOAL_MS).toFixed(2)),
    'quiet hub, longest (ms)': Number(r.quietMs.toFixed(1)),
    'bridge/info refresh (ms)': Number(r.infoMs.toFixed(1)),
  })),
);
