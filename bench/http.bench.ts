// The HTTP API, its event stream and webhooks on this machine.
//   npm run bench:http
// One bridge (10 simulated locks, a store on disk with synchronous FULL), the HTTP transport on a
// free loopback port, a webhook endpoint on another; requests over keep-alive connections.
// Prints one table: throughput and latency per kind of request, the first request of a key (its
// scrypt check), event stream and webhook delivery, and the process's memory at the end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Bridge } from '../src/app/bridge.ts';
import { transportsFromConfig } from '../src/app/transports-from-config.ts';
import { loadConfig } from '../src/config/load.ts';
import type { HttpTransport } from '../src/transports/http/http-transport.ts';

const LOCKS = 10;
const CONCURRENCY = 8;

const dir = mkdtempSync(join(tmpdir(), 'lockbridge-bench-http-'));
let webhookReceived = 0;
// Down (503) while the API is measured, so that its events wait; then the backlog is timed.
let webhookUp = false;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (!webhookUp) {
      res.writeHead(503).end();
      return;
    }
    webhookReceived++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const secretFile = join(dir, 'webhook.secret');
writeFileSync(secretFile, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
const configFile = join(dir, 'config.yaml');
writeFileSync(
  configFile,
  JSON.stringify({
    gateway_id: 'bench',
    data_dir: join(dir, 'data'),
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    http: { listen: '127.0.0.1:0', rate_limit_per_minute: 10_000_000, rate_limit_burst: 1_000_000 },
    webhooks: [
      {
        id: 'bench',
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`,
        secret_file: secretFile,
        retry_base_ms: 10,
        retry_max_ms: 50,
      },
    ],
    locks: Array.from({ length: LOCKS }, (_, i) => ({
      name: `Lock ${i + 1}`,
      driver: 'simulated',
      simulated: { slots: 250, latency_ms: 1, serial_number: `BENCH-${i + 1}` },
    })),
  }),
);
const config = loadConfig(configFile, {});
const bridge = await Bridge.start({
  config,
  log: pino({ level: 'silent' }),
  transports: async (deps) => (await transportsFromConfig(config, deps)).filter((t) => t.name !== 'mqtt'),
  clockBackground: false,
  syncProbe: async () => true,
});
const url = (bridge.transports.find((t) => t.name === 'http') as HttpTransport).url();
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function call(
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (text !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(text));
  }
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers, agent }, (res) => {
      let data = '';
      res.on('data', (d) => {
        data += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

interface Row {
  measure: string;
  count: number;
  ms: number;
  figure: string;
}
const rows: Row[] = [];

/** `count` requests, CONCURRENCY at a time: requests a second and latency percentiles. */
async function load(measure: string, count: number, make: (i: number) => Promise<{ status: number }>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        const { status } = await make(i);
        if (status !== 200) throw new Error(`${measure}: HTTP ${status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const ms = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const rate = Math.round((count / ms) * 1000).toLocaleString('en');
  rows.push({
    measure,
    count,
    ms,
    figure: `${rate}/s, p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms`,
  });
}

const key = bridge.apiKeys.create('bench').key;
// The first request of a key pays its scrypt check; the next ones do not.
const firstStart = performance.now();
await call('GET', '/devices/list', key);
rows.push({
  measure: 'first request of a new key (scrypt)',
  count: 1,
  ms: performance.now() - firstStart,
  figure: '',
});

const devices = JSON.parse((await call('GET', '/devices/list', key)).body).devices as Array<{
  device_id: string;
}>;
await load('GET /devices/list (10 locks)', 3000, () => call('GET', '/devices/list', key));
const ids: string[] = [];
await load('POST /access_codes/create (a commit each)', 600, async (i) => {
  const answer = await call('POST', '/access_codes/create', key, {
    device_id: devices[i % LOCKS]!.device_id,
    code: String(100000 + i),
  });
  ids.push(JSON.parse(answer.body).access_code?.access_code_id);
  return answer;
});
await load('GET /access_codes/get?access_code_id=…', 3000, (i) =>
  call('GET', `/access_codes/get?access_code_id=${ids[i % ids.length]}&_strict=true`, key),
);
await load('GET /access_codes/list?device_id=… (60 codes)', 1000, (i) =>
  call('GET', `/access_codes/list?device_id=${devices[i % LOCKS]!.device_id}`, key),
);

// Event stream: 8 watchers; the time until each has every event of 200 more creates.
const STREAMS = 8;
const EVENTS = 200;
const counts = new Array<number>(STREAMS).fill(0);
const controllers: AbortController[] = [];
await Promise.all(
  counts.map(async (_, s) => {
    const controller = new AbortController();
    controllers.push(controller);
    const response = await fetch(`${url}/events/stream?event_types=access_code.created`, {
      headers: { authorization: `Bearer ${key}` },
      signal: controller.signal,
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          buffer += value;
          const blocks = buffer.split('\n\n');
          buffer = blocks.pop()!;
          counts[s]! += blocks.filter((b) => b.includes('data: ')).length;
        }
      } catch {
        // aborted at the end
      }
    })();
  }),
);
const streamStart = performance.now();
for (let i = 0; i < EVENTS; i++) {
  await call('POST', '/access_codes/create', key, {
    device_id: devices[i % LOCKS]!.device_id,
    code: String(700000 + i),
  });
}
while (counts.some((c) => c < EVENTS)) await new Promise((r) => setTimeout(r, 5));
rows.push({
  measure: `event stream: ${EVENTS} events to ${STREAMS} watchers`,
  count: EVENTS * STREAMS,
  ms: performance.now() - streamStart,
  figure: 'each watcher got every event (creates included)',
});
for (const c of controllers) c.abort();

// Webhooks: the endpoint comes back; the backlog of every event so far goes out one at a time, in order.
const backlog = () => bridge.store.events.backlogs().find((b) => b.consumer === 'webhook:bench')!.undelivered;
const waiting = backlog();
webhookUp = true;
const hookStart = performance.now();
while (backlog() > 0) await new Promise((r) => setTimeout(r, 2));
const hookMs = performance.now() - hookStart;
rows.push({
  measure: 'webhook backlog after an outage (one endpoint)',
  count: waiting,
  ms: hookMs,
  figure: `${Math.round((webhookReceived / hookMs) * 1000).toLocaleString('en')}/s, signed, one at a time`,
});

const memory = process.memoryUsage();
agent.destroy();
await bridge.stop();
receiver.close();
rmSync(dir, { recursive: true, force: true });

const table = [
  ['measure', 'count', 'time (ms)', 'figure'],
  ...rows.map((r) => [r.measure, r.count.toLocaleString('en'), r.ms.toFixed(1), r.figure]),
];
const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
const line = (row: string[]) =>
  `| ${row.map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ')} |`;
console.log(line(table[0]!));
console.log(
  `| ${widths.map((w, c) => (c === 1 || c === 2 ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`,
);
for (const row of table.slice(1)) console.log(line(row));
console.log(
  `\nheap used ${Math.round(memory.heapUsed / 2 ** 20)} MiB, rss ${Math.round(memory.rss / 2 ** 20)} MiB at the end of the run`,
);
