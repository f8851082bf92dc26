// What the daemon costs the hub, measured on the production path: `npm run build`, then the
// bundled daemon started as systemd starts it (bench/daemon.ts), on a real Mosquitto, with
// simulated locks that keep their slots (simulated.keep_slots) so that a seeded store and its
// locks agree, as after a restart of a hub that had programmed them.
//   npm run bench:footprint            (FOOTPRINT_RUNS=n: runs of each start, median; default 2;
//                                      FOOTPRINT_LARGE_IDLE=1: the large hub idle too, 45 s a run)
// 1. Idle with 10 locks: resident memory once every lock was read and the daemon settled, and
//    again once it has been idle long enough to give back what the start grew (IDLE_WAIT_MS).
// 2. Start with 1,000 locks × 100 codes (100,000 codes in the store): time to READY=1, time until
//    every lock has been read ÷ the radio ideal, CPU, resident memory after the start and its peak.
// 3. A long churn through MQTT (create, set, delete, clear): the store and its WAL, bounded.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mqtt from 'mqtt';
import { newManagedCode } from '../src/core/access-code.ts';
import { Store } from '../src/store/store.ts';
import { eventually } from '../test/helpers/api-client.ts';
import { type Broker, startMosquitto } from '../test/helpers/mosquitto.ts';
import { build, type Memory, nodeOptions, startProductionDaemon, unitEnvironment } from './daemon.ts';
import { median } from './measure.ts';
import { seedLocks } from './seed.ts';

const RUNS = Number(process.env.FOOTPRINT_RUNS ?? 2);
const LATENCY_MS = 20;
const CONCURRENCY = 8;
const SETTLE_MS = 5000;
/** After the start's settled sample: past the daemon's idle collection (30 s idle, checked every 5 s). */
const IDLE_WAIT_MS = 40_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (m: number) => Number(m.toFixed(1));
const ratio = (value: number, goal: number) => Number((value / goal).toFixed(2));

interface HubSpec {
  locks: number;
  slots: number;
  codesPerLock: number;
}

function writeConfig(
  dir: string,
  broker: Broker,
  hub: HubSpec,
  extra: string[] = [],
  latencyMs = LATENCY_MS,
): string {
  const lines = [
    'gateway_id: bench',
    `data_dir: ${join(dir, 'data')}`,
    `mqtt: { url: "${broker.url}" }`,
    'log: { level: warn }',
    `reconciler: { max_parallel_locks: ${CONCURRENCY} }`,
    ...extra,
    'locks:',
  ];
  for (let l = 1; l <= hub.locks; l++) {
    lines.push(
      `  - name: Lock ${l}`,
      '    driver: simulated',
      `    simulated: { slots: ${hub.slots}, latency_ms: ${latencyMs}, serial_number: SEED-${l}, keep_slots: true }`,
    );
  }
  const file = join(dir, 'config.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Locks whose slots were read since `since` (epoch ms), from the store, read-only. */
function readSince(dataDir: string, since: number): () => number {
  let db: DatabaseSync | null = null;
  return () => {
    db ??= new DatabaseSync(join(dataDir, 'lockbridge.db'), { readOnly: true, timeout: 5000 });
    return (
      db.prepare('SELECT count(*) AS n FROM devices WHERE slots_read_at >= ?').get(since) as { n: number }
    ).n;
  };
}

/** Resident memory once settled: the median of five samples a second apart. */
async function settledMemory(sample: () => Memory): Promise<Memory> {
  await sleep(SETTLE_MS);
  const samples: Memory[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(sample());
    await sleep(1000);
  }
  const pick = (key: keyof Memory) => median(samples.map((s) => s[key]));
  return { rss: pick('rss'), anon: pick('anon'), file: pick('file'), peak: pick('peak') };
}

interface StartResult {
  readyMs: number;
  readMs: number;
  cpuMs: number;
  /** Settled after the start. */
  memory: Memory;
  /** Later, idle: after the daemon gave back what the start grew (when asked for). */
  idle: Memory | null;
}

async function start(broker: Broker, hub: HubSpec, waitIdle: boolean): Promise<StartResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lockbridge-bench-footprint-'));
  try {
    const dataDir = join(dir, 'data');
    if (hub.codesPerLock > 0) {
      seedLocks({
        dataDir,
        gatewayId: 'bench',
        locks: hub.locks,
        slots: hub.slots,
        codesPerLock: hub.codesPerLock,
        slotsDir: join(dataDir, 'simulated-locks'),
      });
    }
    const config = writeConfig(dir, broker, hub);
    const wallAtSpawn = Date.now();
    const daemon = await startProductionDaemon(config, dir);
    try {
      const read = readSince(dataDir, wallAtSpawn);
      await eventually(() => read() >= hub.locks, 600_000, 'every lock read', 10);
      const readAt = performance.now();
      const cpuMs = daemon.cpuMs();
      const memory = await settledMemory(daemon.memory);
      let idle: Memory | null = null;
      if (waitIdle) {
        await sleep(IDLE_WAIT_MS);
        idle = await settledMemory(daemon.memory);
      }
      return {
        readyMs: daemon.readyAt - daemon.spawnedAt,
        readMs: readAt - daemon.readyAt,
        cpuMs,
        memory,
        idle,
      };
    } finally {
      await daemon.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function medianOf(broker: Broker, hub: HubSpec, waitIdle: boolean): Promise<StartResult> {
  const runs: StartResult[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await start(broker, hub, waitIdle));
  const pick = (f: (r: StartResult) => number) => median(runs.map(f));
  const memory = (of: (r: StartResult) => Memory): Memory => ({
    rss: pick((r) => of(r).rss),
    anon: pick((r) => of(r).anon),
    file: pick((r) => of(r).file),
    peak: pick((r) => of(r).peak),
  });
  return {
    readyMs: pick((r) => r.readyMs),
    readMs: pick((r) => r.readMs),
    cpuMs: pick((r) => r.cpuMs),
    memory: memory((r) => r.memory),
    idle: waitIdle ? memory((r) => r.idle!) : null,
  };
}

const fileMiB = (path: string) => {
  try {
    return statSync(path).size / 1048576;
  } catch {
    return 0;
  }
};

interface ChurnSample {
  requests: number;
  store: number;
  wal: number;
}

/**
 * A long churn through the broker, as a cloud system rotating guest codes: workers each create a
 * code (with a request_id, so the answer is remembered), wait until its lock has it, delete it,
 * and wait until the lock has cleared it. The store and its WAL are sampled as it goes.
 */
async function churn(broker: Broker, totalRequests: number, retention: string[]): Promise<ChurnSample[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lockbridge-bench-churn-'));
  const hub: HubSpec = { locks: 10, slots: 100, codesPerLock: 0 };
  const config = writeConfig(dir, broker, hub, retention, 1);
  const daemon = await startProductionDaemon(config, dir);
  const root = 'lockbridge/bench';
  const client = await mqtt.connectAsync(broker.url, { clientId: `churn-${randomUUID().slice(0, 8)}` });
  // What each waiter waits for: a response by request_id, or an event by type and code. Something
  // that came before its waiter (an event right behind its response) is kept until asked for.
  const waiting = new Map<string, (body: Record<string, unknown>) => void>();
  const arrived = new Map<string, Record<string, unknown>>();
  client.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as Record<string, unknown>;
    const key = topic.includes('/response/')
      ? `response:${body.request_id}`
      : `${topic.slice(topic.lastIndexOf('/') + 1)}:${body.access_code_id}`;
    const waiter = waiting.get(key);
    waiting.delete(key);
    if (waiter) waiter(body);
    else arrived.set(key, body);
  });
  await client.subscribeAsync(
    [
      `${root}/response/#`,
      `${root}/events/access_code.set_on_device`,
      `${root}/events/access_code.removed_from_device`,
    ],
    { qos: 1 },
  );
  const until = (key: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const early = arrived.get(key);
      arrived.delete(key);
      if (early) resolve(early);
      else waiting.set(key, resolve);
    });
  const request = async (route: string, params: Record<string, unknown>) => {
    const request_id = randomUUID();
    const reply = until(`response:${request_id}`);
    await client.publishAsync(`${root}/request/${route}`, JSON.stringify({ ...params, request_id }), {
      qos: 1,
    });
    return reply;
  };
  const dataDir = join(dir, 'data');
  const samples: ChurnSample[] = [];
  try {
    const read = readSince(dataDir, 0);
    await eventually(() => read() >= hub.locks, 60_000, 'every lock read', 10);
    const devices = (await request('devices/list', {})).devices as Array<{ device_id: string }>;
    let sent = 0;
    let nextSample = totalRequests / 4;
    const worker = async (w: number) => {
      for (let n = 0; sent < totalRequests; n++) {
        sent += 2;
        const device_id = devices[(w + n) % devices.length]!.device_id;
        const code = String(100000 + w * 20000 + n); // never two alike on a lock
        const created = await request('access_codes/create', { device_id, code });
        const id = (created.access_code as { access_code_id: string } | undefined)?.access_code_id;
        if (!id) throw new Error(`create failed: ${JSON.stringify(created)}`);
        await until(`access_code.set_on_device:${id}`);
        await request('access_codes/delete', { access_code_id: id });
        await until(`access_code.removed_from_device:${id}`);
        if (sent >= nextSample) {
          nextSample += totalRequests / 4;
          samples.push({
            requests: sent,
            store: fileMiB(join(dataDir, 'lockbridge.db')),
            wal: fileMiB(join(dataDir, 'lockbridge.db-wal')),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: 40 }, (_, w) => worker(w)));
  } finally {
    await client.endAsync();
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

/** What the store needs on disk: a large hub's codes, and each event and remembered request. */
function space(): Array<{ what: string; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'lockbridge-bench-space-'));
  try {
    const sizeOf = (store: Store, dataDir: string) => {
      store.checkpoint();
      return statSync(join(dataDir, 'lockbridge.db')).size;
    };
    const big = join(dir, 'big');
    seedLocks({ dataDir: big, gatewayId: 'bench', locks: 1000, slots: 120, codesPerLock: 100 });
    const seeded = Store.open(big, 'bench');
    const hubBytes = sizeOf(seeded, big);
    seeded.close();
    const empty = join(dir, 'empty');
    const store = Store.open(empty, 'bench');
    store.events.declareConsumers(['mqtt']);
    const base = sizeOf(store, empty);
    const N = 20_000;
    const device = store.devices.ensure('sim:SPACE', 'simulated', 'Space', Date.now()).device;
    const now = Date.now();
    store.tx.run(() => {
      for (let i = 0; i < N; i++) {
        store.events.append(
          {
            event_type: 'access_code.set_on_device',
            device_id: device.device_id,
            access_code_id: randomUUID(),
          },
          now,
        );
      }
    });
    const withEvents = sizeOf(store, empty);
    const view = newManagedCode({
      access_code_id: randomUUID(),
      device_id: device.device_id,
      code: '482916',
      created_at: now,
    });
    store.tx.run(() => {
      for (let i = 0; i < N; i++) {
        store.requests.remember(
          randomUUID(),
          { ok: true, request_id: randomUUID(), access_code: { ...view, access_code_id: randomUUID() } },
          now,
        );
      }
    });
    const withRequests = sizeOf(store, empty);
    store.close();
    return [
      { what: 'empty store', bytes: base },
      { what: 'a lock with 100 codes (codes and slots)', bytes: hubBytes / 1000 },
      { what: 'an event', bytes: (withEvents - base) / N },
      { what: 'a remembered request (access_codes/create)', bytes: (withRequests - withEvents) / N },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** FOOTPRINT_PARTS=start,churn,space: some parts only (all by default). */
const parts = new Set((process.env.FOOTPRINT_PARTS ?? 'start,churn,space').split(','));

build();
const broker = await startMosquitto();
try {
  console.log(
    `footprint: bundled daemon (node ${process.version}, NODE_OPTIONS="${nodeOptions()}", MALLOC_ARENA_MAX=${unitEnvironment().MALLOC_ARENA_MAX ?? 'unset'}), ` +
      `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; median of ${RUNS} runs; ` +
      `simulated locks answer after ${LATENCY_MS} ms, ${CONCURRENCY} at a time`,
  );
  if (parts.has('start')) await startRows();
  if (parts.has('churn')) await churnRows();
  if (parts.has('space')) {
    console.log('space on disk, measured (docs/operations.md):');
    console.table(space().map((r) => ({ what: r.what, bytes: Math.round(r.bytes) })));
  }
} finally {
  await broker.stop();
}

async function startRows(): Promise<void> {
  const small: HubSpec = { locks: 10, slots: 30, codesPerLock: 0 };
  const large: HubSpec = { locks: 1000, slots: 120, codesPerLock: 100 };
  const idle = await medianOf(broker, small, true);
  // The large hub's idle memory takes another 45 s a run: FOOTPRINT_LARGE_IDLE=1.
  const big = await medianOf(broker, large, process.env.FOOTPRINT_LARGE_IDLE === '1');
  const smallIdle = idle.idle!;
  // The radio's floor for the start: every lock answers after its latency, then one READ_SLOTS
  // each (a simulated lock answers a whole read in one command), CONCURRENCY locks at a time.
  const readIdeal = LATENCY_MS + (large.locks * LATENCY_MS) / CONCURRENCY;
  console.table([
    {
      measure: 'RSS idle, 10 locks (MiB)',
      value: mib(smallIdle.rss),
      goal: 70,
      'value ÷ goal': ratio(smallIdle.rss, 70),
      note: `anonymous ${mib(smallIdle.anon)}, Node binary's pages ${mib(smallIdle.file)}; ${mib(idle.memory.rss)} ${SETTLE_MS / 1000} s after the start`,
    },
    {
      measure: 'RSS after start, 1,000 locks × 100 codes (MiB)',
      value: mib(big.memory.rss),
      goal: 150,
      'value ÷ goal': ratio(big.memory.rss, 150),
      note: `anonymous ${mib(big.memory.anon)}, file ${mib(big.memory.file)}; peak ${mib(big.memory.peak)}${big.idle ? `; idle ${mib(big.idle.rss)}` : ''}`,
    },
    {
      measure: 'time to READY=1, 100,000 codes (ms)',
      value: Math.round(big.readyMs),
      goal: 1000,
      'value ÷ goal': ratio(big.readyMs, 1000),
      note: `10 locks, empty store: ${Math.round(idle.readyMs)} ms`,
    },
    {
      measure: 'READY=1 → every lock read, 1,000 locks (ms)',
      value: Math.round(big.readMs),
      goal: Math.round(readIdeal * 1.5),
      'value ÷ goal': ratio(big.readMs, readIdeal * 1.5),
      note: `${(big.readMs / readIdeal).toFixed(2)}× the radio ideal of ${Math.round(readIdeal)} ms (goal ≤ 1.5×)`,
    },
    {
      measure: 'CPU from spawn until every lock read (ms)',
      value: Math.round(big.cpuMs),
      goal: '',
      'value ÷ goal': '',
      note: `${(big.cpuMs / (big.readyMs + big.readMs)).toFixed(2)} of a core meanwhile`,
    },
  ]);
}

async function churnRows(): Promise<void> {
  // 80,000: the store reaches the size its bounds hold (20,000 events, 36 s of requests) about 60,000 in.
  const CHURN_REQUESTS = Number(process.env.FOOTPRINT_CHURN ?? 80_000);
  const churned = await churn(broker, CHURN_REQUESTS, [
    'outbox: { max_events: 20000 }',
    'requests: { memory_hours: 0.01 }',
  ]);
  const [, , third, last] = churned as [ChurnSample, ChurnSample, ChurnSample, ChurnSample];
  console.log(
    `churn: ${CHURN_REQUESTS.toLocaleString('en')} requests (create → set on the lock → delete → cleared), ` +
      '10 locks, outbox.max_events 20,000, requests.memory_hours 0.01 (36 s)',
  );
  console.table(
    churned.map((c) => ({
      requests: c.requests,
      'store (MiB)': mib(c.store),
      'WAL (MiB)': mib(c.wal),
    })),
  );
  console.log(
    `bounded: the store grew ${mib(last.store - third.store)} MiB over the last quarter (goal: none once the ` +
      `retention holds; it grew 1.9 KB a request before); WAL ${mib(last.wal)} MiB at the end (cut back to ` +
      '4 MiB after each checkpoint, emptied by each maintenance)',
  );
}
