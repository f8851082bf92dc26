// The lockwire driver over a real pseudo-terminal (socat), against the lock simulator:
//   npm run bench:serial
// Prints one table: request round trips per second through the whole driver (SerialLock → link →
// SLIP → pty → simulator and back), and the time to read every slot of a 250-slot lock with
// READ_SLOTS against READ_SLOT one by one, with no lock latency and with 20 ms per answer (a lock
// that takes its time to answer is where slot-by-slot reading hurts). Median of several runs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SerialDriver } from '../drivers/serial/serial-driver.ts';
import type { SerialLock } from '../drivers/serial/serial-lock.ts';
import { LockSimulator } from '../drivers/serial/simulator/lock-simulator.ts';
import { PtyPair } from '../drivers/serial/simulator/pty-pair.ts';
import { median } from './measure.ts';

const SLOTS = 250;
const ROUND_TRIPS = 2000;
const RUNS = 5;

async function timed(runs: number, run: () => Promise<void>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

const dir = await mkdtemp(join(tmpdir(), 'lockwire-bench-'));
const pair = new PtyPair(join(dir, 'host'), join(dir, 'lock'));
await pair.plug();
const sim = new LockSimulator({
  slots: SLOTS,
  min_code_length: 4,
  max_code_length: 8,
  can_read_codes: true,
  supports_native_scheduling: true,
  has_clock: false,
  serial_number: 'BENCH1',
});
await sim.open(pair.lockPath);
for (let slot = 1; slot <= SLOTS; slot++) sim.model.write(slot, String(10_000_000 + slot), null);
const driver = new SerialDriver(
  [{ name: 'bench', serial: { path: pair.hostPath, baud_rate: 115200, response_timeout_ms: 1000 } }],
  pino({ level: 'silent' }),
);
let lock: SerialLock | null = null;
await driver.start((l) => {
  lock = l as SerialLock;
});
while (!(lock as SerialLock | null)?.online) await new Promise((resolve) => setTimeout(resolve, 10));
const handle = lock as unknown as SerialLock;

let requests = 0;
sim.on('executed', () => requests++);
const counted = async (run: () => Promise<void>): Promise<number> => {
  requests = 0;
  await run();
  return requests;
};

const readOneByOne = async () => {
  for (let slot = 1; slot <= SLOTS; slot++) await handle.readSlot(slot);
};
const readBatched = async () => {
  await handle.readSlots();
};

const rows: { measure: string; requests: number; ms: number; figure: string }[] = [];
const rtt = await timed(RUNS, async () => {
  for (let i = 0; i < ROUND_TRIPS; i++) await handle.readSlot(1 + (i % SLOTS));
});
rows.push({
  measure: 'READ_SLOT round trips',
  requests: ROUND_TRIPS,
  ms: rtt,
  figure: `${Math.round((ROUND_TRIPS / rtt) * 1000)} /s`,
});
const writes = await timed(RUNS, async () => {
  for (let i = 0; i < ROUND_TRIPS; i++) await handle.writeSlot(1, String(20_000_000 + i), null);
});
rows.push({
  measure: 'WRITE_SLOT round trips',
  requests: ROUND_TRIPS,
  ms: writes,
  figure: `${Math.round((ROUND_TRIPS / writes) * 1000)} /s`,
});
sim.model.write(1, '10000001', null);

for (const latency of [0, 20]) {
  sim.faults.delayMs = latency;
  const runs = latency === 0 ? RUNS : 1;
  const batchedRequests = await counted(readBatched);
  const batched = await timed(runs, readBatched);
  const oneRequests = await counted(readOneByOne);
  const one = await timed(runs, readOneByOne);
  const tag = latency === 0 ? 'no lock latency' : `${latency} ms per answer`;
  rows.push({
    measure: `${SLOTS} slots, READ_SLOTS (${tag})`,
    requests: batchedRequests,
    ms: batched,
    figure: '',
  });
  rows.push({
    measure: `${SLOTS} slots, READ_SLOT one by one (${tag})`,
    requests: oneRequests,
    ms: one,
    figure: `${(one / batched).toFixed(1)}× slower`,
  });
}

await driver.stop();
await sim.close();
await pair.unplug();
await rm(dir, { recursive: true, force: true });

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
console.log(
  `lockwire over a pty (socat), Node ${process.version}, median of ${RUNS} runs (1 with latency)\n`,
);
console.log('| measure | requests | time (ms) | figure |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.measure} | ${r.requests} | ${fmt(r.ms)} | ${r.figure} |`);
