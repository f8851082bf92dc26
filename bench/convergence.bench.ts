// How close the bridge keeps the radio to busy: 50 simulated locks × 30 codes created at once,
// every lock answering each command after a fixed latency. The ideal is the larger of the busiest
// lock's commands × latency and all commands × latency ÷ the concurrency limit; the ratio is the
// time until every code is set ÷ that ideal (1.00 is a radio that never idles).
//   npm run bench:convergence

import { eventually } from '../test/helpers/api-client.ts';
import { Harness, simulatedDriver } from '../test/helpers/bridge-harness.ts';

const LOCKS = 50;
const CODES = 30;
const CONCURRENCY = 8;

interface Result {
  latency: number;
  commands: number;
  ms: number;
  ideal: number;
  fsyncs: number;
  commits: number;
}

async function run(latency: number): Promise<Result> {
  const driver = simulatedDriver(
    Array.from({ length: LOCKS }, (_, i) => ({
      name: `Lock ${i + 1}`,
      latency_ms: latency,
      options: { slots: CODES + 5, serial_number: `BENCH-${i + 1}` },
    })),
  );
  const h = new Harness(driver, {
    yaml: `reconciler: { max_parallel_locks: ${CONCURRENCY} }`,
    logLevel: 'warn',
  });
  await h.startOnline();
  const store = h.bridge.store;
  const deviceIds = driver.locks.map((_, i) => h.deviceId(i));
  // Locks already adopted: their first read of every slot is done before the clock starts, so the
  // radio time measured is the codes' alone.
  await eventually(
    () => deviceIds.every((id) => store.devices.get(id)?.slots_read_at != null),
    600_000,
    'every lock read',
  );
  const before = store.tx.counts();
  // Done when the last access_code.set_on_device is committed: counted as the events are appended,
  // rather than by polling the store (which would cost the process it measures, and lag).
  let seen = store.events.head();
  let setCount = 0;
  let unsubscribe = () => {};
  const allSet = new Promise<void>((resolve) => {
    unsubscribe = store.events.onAppend(() => {
      for (const event of store.events.after(seen, 10_000)) {
        seen = event.seq;
        if (event.event_type === 'access_code.set_on_device') setCount++;
      }
      if (setCount === LOCKS * CODES) resolve();
    });
  });
  const start = performance.now();
  // Every code asked for at once, as a cloud system pushing a building's codes would.
  const answers = await Promise.all(
    Array.from({ length: CODES }, (_, c) =>
      deviceIds.map((device_id) =>
        h.call('access_codes/create', { device_id, code: String(200000 + c * 97 + 13) }),
      ),
    ).flat(),
  );
  for (const answer of answers) if (!answer.ok) throw new Error(`create failed: ${JSON.stringify(answer)}`);
  await allSet;
  const ms = performance.now() - start;
  // The events said so; the store agrees.
  if (!deviceIds.every((id) => store.codes.liveForDevice(id).every((code) => code.status === 'set')))
    throw new Error('set_on_device for every code, but not every code is set');
  unsubscribe();
  const after = store.tx.counts();
  const commands = driver.locks.reduce((n, lock) => n + lock.model.writeCount, 0);
  await h.stop();
  h.cleanup();
  const ideal = Math.max(CODES * latency, (commands * latency) / CONCURRENCY);
  return {
    latency,
    commands,
    ms,
    ideal,
    fsyncs: after.fsyncs - before.fsyncs,
    commits: after.commits - before.commits,
  };
}

const results: Result[] = [];
for (const latency of [20, 100]) results.push(await run(latency));
console.log(
  `convergence: ${LOCKS} locks × ${CODES} codes, ${CONCURRENCY} locks at once; node ${process.version}`,
);
console.table(
  results.map((r) => ({
    'latency (ms)': r.latency,
    commands: r.commands,
    'time (ms)': Math.round(r.ms),
    'ideal (ms)': Math.round(r.ideal),
    'time ÷ ideal': Number((r.ms / r.ideal).toFixed(2)),
    'fsyncs / code': Number((r.fsyncs / (LOCKS * CODES)).toFixed(2)),
    'commits / code': Number((r.commits / (LOCKS * CODES)).toFixed(2)),
  })),
);
