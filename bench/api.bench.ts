// The API through a real Mosquitto, beside its floor. access_codes/create sent by mqtt.js clients
// with MQTT 5 request/response (a Response Topic below R/clients/, Correlation Data) to:
//   bridge: the whole bridge (store on disk, synchronous FULL) with 50 simulated locks answering at
//           once, in a process of its own as the daemon runs;
//   floor:  a bare mqtt.js service in a process of its own that commits one row to node:sqlite (WAL,
//           synchronous FULL) per request and answers: what any durable answer over MQTT costs here.
// Rows: one request at a time (closed loop); 64 in flight (sustained); 100 and 500 requests/s
// offered by the clock, not waiting on answers (open loop; latency from the moment a request was
// due). Each row gets a fresh server. Mosquitto runs with set_tcp_nodelay, the clients with
// setNoDelay on their sockets.
//   npm run bench:api
// BENCH_ROWS=2,3 runs only those rows (1-4); BENCH_PROF=dir writes the servers' CPU profiles there.
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { cpus } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { noDelay, type ParentMessage, type ServerMessage, type Usage } from './api-protocol.ts';
import { nodeOptions, unitEnvironment } from './daemon.ts';

type System = 'bridge' | 'floor';

const SUSTAINED_IN_FLIGHT = 64;
const SUSTAINED_SECONDS = 5;
const OPEN_SECONDS = 5;
const CLOSED_REQUESTS = 500;
/** After the last request of an open-loop row, how long its answers may take. */
const DRAIN_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
};

/** A server process (the bridge or the floor) and what it said when ready. */
class Server {
  private constructor(
    private readonly child: ChildProcess,
    readonly root: string,
    readonly deviceIds: string[],
  ) {}

  static async start(system: System, brokerUrl: string): Promise<Server> {
    const profile = process.env.BENCH_PROF;
    // Both servers get the V8 heap limits and the environment the systemd unit gives the daemon.
    const env = Object.entries(unitEnvironment()).filter(([name]) => name !== 'NODE_OPTIONS');
    const child = fork(new URL('./api-server.ts', import.meta.url), [system, brokerUrl], {
      env: { ...process.env, ...Object.fromEntries(env) },
      execArgv: [
        ...nodeOptions().split(' ').filter(Boolean),
        '--import',
        'tsx',
        ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      ],
    });
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`the ${system} server exited (${code}) before it was ready`);
    });
    const [ready] = (await Promise.race([once(child, 'message'), exited])) as [ServerMessage];
    exited.catch(() => {}); // once ready, its exit is stop()'s business
    if (ready.type !== 'ready') throw new Error(`${system} did not start: ${JSON.stringify(ready)}`);
    return new Server(child, ready.root, ready.deviceIds);
  }

  /** The server's CPU time (user + system, ms), commits and fsyncs so far. */
  async usage(): Promise<Usage> {
    this.child.send({ type: 'usage' } satisfies ParentMessage);
    const [answer] = (await once(this.child, 'message')) as [ServerMessage];
    if (answer.type !== 'usage') throw new Error(`unexpected ${JSON.stringify(answer)}`);
    return answer;
  }

  async stop(): Promise<void> {
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'stop' } satisfies ParentMessage);
    await exited;
  }
}

/** A client sending access_codes/create with MQTT 5 request/response. */
class Requester {
  private readonly pending = new Map<number, (body: Record<string, unknown>) => void>();
  private nextId = 0;
  private pin = 0;
  errors = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly server: Server,
    private readonly responseTopic: string,
  ) {}

  static async connect(brokerUrl: string, server: Server): Promise<Requester> {
    const clientId = `bench-${randomUUID().slice(0, 8)}`;
    const client = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5, clientId });
    noDelay(client);
    // Below R/clients/: the only place the bridge answers a Response Topic by default.
    const responseTopic = `${server.root}/clients/${clientId}/response`;
    const requester = new Requester(client, server, responseTopic);
    client.on('message', (_topic, payload, packet) => {
      const id = packet.properties?.correlationData?.readUInt32BE(0);
      if (id === undefined) return;
      requester.pending.get(id)?.(JSON.parse(payload.toString()) as Record<string, unknown>);
      requester.pending.delete(id);
    });
    await client.subscribeAsync(responseTopic, { qos: 1 });
    return requester;
  }

  /** Sends one create; resolves with the time its answer arrived (performance.now()). */
  create(): Promise<number> {
    const id = this.nextId++;
    const n = this.pin++;
    const deviceId = this.server.deviceIds[n % this.server.deviceIds.length]!;
    const correlationData = Buffer.alloc(4);
    correlationData.writeUInt32BE(id);
    const answered = new Promise<number>((resolve) => {
      this.pending.set(id, (body) => {
        if (body.ok !== true) {
          this.errors++;
          if (this.errors === 1) console.error(`an error answer: ${JSON.stringify(body)}`);
        }
        resolve(performance.now());
      });
    });
    const params = {
      request_id: randomUUID(),
      device_id: deviceId,
      code: String(1_000_000 + n),
      name: `Guest ${n}`,
    };
    this.client.publish(`${this.server.root}/request/access_codes/create`, JSON.stringify(params), {
      qos: 1,
      properties: { responseTopic: this.responseTopic, correlationData },
    });
    return answered;
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}

interface RowResult {
  requests: number;
  /** Answers a second over the row. */
  rate: number;
  p50: number;
  p99: number;
  /** The server's CPU time, commits and fsyncs per request, from the row's start until its locks caught up. */
  perRequest: Omit<Usage, 'unsettled' | 'undelivered'>;
  /** From the row's last answer until every code it created was set on its lock. */
  catchUpMs: number;
  /** From the row's last answer until every event was delivered to every consumer (MQTT, Home Assistant). */
  eventsOutMs: number;
}

type Measured = Omit<RowResult, 'perRequest' | 'catchUpMs' | 'eventsOutMs'>;

async function closedLoop(r: Requester): Promise<Measured> {
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < CLOSED_REQUESTS; i++) {
    const sent = performance.now();
    latencies.push((await r.create()) - sent);
  }
  const seconds = (performance.now() - start) / 1000;
  return summary(latencies, seconds);
}

async function sustained(r: Requester): Promise<Measured> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + SUSTAINED_SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const sent = performance.now();
      latencies.push((await r.create()) - sent);
    }
  };
  await Promise.all(Array.from({ length: SUSTAINED_IN_FLIGHT }, worker));
  return summary(latencies, (performance.now() - start) / 1000);
}

/** Requests sent when the clock says, whatever came back; latency counted from when each was due. */
async function openLoop(r: Requester, rate: number): Promise<Measured> {
  const total = rate * OPEN_SECONDS;
  const latencies: number[] = [];
  const answers: Array<Promise<void>> = [];
  let last = 0;
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const dueAt = start + (sent * 1000) / rate;
      answers.push(
        r.create().then((at) => {
          latencies.push(at - dueAt);
          last = Math.max(last, at);
        }),
      );
    }
    await sleep(1);
  }
  const drained = await Promise.race([
    Promise.all(answers).then(() => true),
    sleep(DRAIN_MS).then(() => false),
  ]);
  if (!drained) console.error(`${total - latencies.length} of ${total} requests unanswered at ${rate}/s`);
  return summary(latencies, ((drained ? last : performance.now()) - start) / 1000);
}

function summary(latencies: number[], seconds: number): Measured {
  return {
    requests: latencies.length,
    rate: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

interface Row {
  name: string;
  run: (r: Requester) => Promise<Measured>;
  /** The goal, and whether the bridge met it. */
  goal: (bridge: Measured) => string;
  /** Requests sent first, 64 at a time and not measured: connections, caches and JIT warm. */
  warmup: number;
}

const keepsUp = (rate: number) => (bridge: Measured) =>
  `keeps up, p99 < 50 ms: ${bridge.rate >= rate * 0.98 && bridge.p99 < 50 ? 'met' : 'missed'}`;
const ROWS: Row[] = [
  { name: 'closed loop, one at a time', run: closedLoop, warmup: 200, goal: () => '' },
  {
    name: `sustained, ${SUSTAINED_IN_FLIGHT} in flight`,
    run: sustained,
    warmup: 200,
    goal: (bridge) => `≥ 1,500/s: ${bridge.rate >= 1500 ? 'met' : 'missed'}`,
  },
  { name: 'offered 100/s', run: (r) => openLoop(r, 100), warmup: 200, goal: keepsUp(100) },
  { name: 'offered 500/s', run: (r) => openLoop(r, 500), warmup: 200, goal: keepsUp(500) },
];

/**
 * Waits until every code created so far is set on its lock and every event is delivered to every
 * consumer; says how long each took (polled every 250 ms).
 */
async function settled(server: Server): Promise<{ usage: Usage; locksMs: number; eventsMs: number }> {
  const start = performance.now();
  let locksMs = -1;
  let eventsMs = -1;
  for (;;) {
    const usage = await server.usage();
    const since = performance.now() - start;
    if (locksMs < 0 && usage.unsettled === 0) locksMs = since;
    if (eventsMs < 0 && usage.undelivered === 0) eventsMs = since;
    if (locksMs >= 0 && eventsMs >= 0) return { usage, locksMs, eventsMs };
    await sleep(250);
  }
}

async function measure(system: System, row: Row, brokerUrl: string): Promise<RowResult> {
  const server = await Server.start(system, brokerUrl);
  const requester = await Requester.connect(brokerUrl, server);
  try {
    for (let sent = 0; sent < row.warmup; sent += SUSTAINED_IN_FLIGHT) {
      await Promise.all(Array.from({ length: SUSTAINED_IN_FLIGHT }, () => requester.create()));
    }
    await settled(server);
    const before = await server.usage();
    const result = await row.run(requester);
    const { usage: after, locksMs, eventsMs } = await settled(server);
    if (requester.errors > 0) throw new Error(`${system}: ${requester.errors} error answers`);
    const per = (key: keyof Usage) => (after[key] - before[key]) / result.requests;
    return {
      ...result,
      perRequest: { cpuMs: per('cpuMs'), commits: per('commits'), fsyncs: per('fsyncs') },
      catchUpMs: locksMs,
      eventsOutMs: eventsMs,
    };
  } finally {
    await requester.close();
    await server.stop();
  }
}

// The helper's Mosquitto runs with set_tcp_nodelay true, as docs/mqtt.md recommends.
const broker = await startMosquitto();
const answers: Array<Record<string, string | number>> = [];
const costs: Array<Record<string, string | number>> = [];
const fixed = (n: number, digits: number) => Number(n.toFixed(digits));
try {
  const only = process.env.BENCH_ROWS?.split(',');
  for (const row of ROWS.filter((_, i) => !only || only.includes(String(i + 1)))) {
    const bridge = await measure('bridge', row, broker.url);
    const floor = await measure('floor', row, broker.url);
    answers.push({
      row: row.name,
      'bridge /s': Math.round(bridge.rate),
      'floor /s': Math.round(floor.rate),
      '/s ÷ floor': fixed(bridge.rate / floor.rate, 2),
      'bridge p50/p99 (ms)': `${fixed(bridge.p50, 1)} / ${fixed(bridge.p99, 1)}`,
      'floor p50/p99 (ms)': `${fixed(floor.p50, 1)} / ${fixed(floor.p99, 1)}`,
      'p99 ÷ floor': fixed(bridge.p99 / floor.p99, 2),
      goal: row.goal(bridge),
    });
    costs.push({
      row: row.name,
      'bridge CPU ms/req': fixed(bridge.perRequest.cpuMs, 2),
      'floor CPU ms/req': fixed(floor.perRequest.cpuMs, 2),
      'CPU ÷ floor': fixed(bridge.perRequest.cpuMs / floor.perRequest.cpuMs, 2),
      'bridge commits/req': fixed(bridge.perRequest.commits, 2),
      'bridge fsyncs/req': fixed(bridge.perRequest.fsyncs, 2),
      'locks in step after (ms)': Math.round(bridge.catchUpMs),
      'events out after (ms)': Math.round(bridge.eventsOutMs),
    });
  }
} finally {
  await broker.stop();
}
console.log(
  `API through Mosquitto (set_tcp_nodelay true), access_codes/create over MQTT 5 request/response; ` +
    `${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}`,
);
console.table(answers);
console.log(
  'What each request cost, from the row until every code it created was set on its lock and every event ' +
    'was out (the floor has no locks and no events; "after" is polled every 250 ms):',
);
console.table(costs);
