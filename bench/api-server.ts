// The server side of `npm run bench:api`, in a process of its own as the daemon would be: either the
// whole bridge (simulated locks answering at once) or the floor, a bare mqtt.js service that
// commits one row to node:sqlite (WAL, synchronous FULL) per request and answers. Started by
// api.bench.ts with fork(); says `ready` over IPC, reports its CPU time when asked, stops on `stop`.
//   node --import tsx bench/api-server.ts <bridge|floor> <broker url>
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mqtt from 'mqtt';
import { Harness, ROOT, simulatedDriver } from '../test/helpers/bridge-harness.ts';
import { noDelay, type ParentMessage, type ServerMessage, type Usage } from './api-protocol.ts';

const LOCKS = 50;
/** More than the creates a row sends to one lock (each row gets a fresh server). */
const SLOTS = 250;

const [mode, brokerUrl] = process.argv.slice(2);
if ((mode !== 'bridge' && mode !== 'floor') || !brokerUrl) {
  throw new Error('usage: api-server.ts <bridge|floor> <broker url>');
}
const send = (message: ServerMessage) => process.send?.(message);

interface Running {
  stop(): Promise<void>;
  counts(): Omit<Usage, 'cpuMs'>;
}

const server = mode === 'bridge' ? await startBridge(brokerUrl) : await startFloor(brokerUrl);
process.on('message', async (message: ParentMessage) => {
  if (message.type === 'usage') {
    const { user, system } = process.cpuUsage();
    send({ type: 'usage', cpuMs: (user + system) / 1000, ...server.counts() });
  } else {
    await server.stop();
    send({ type: 'stopped' });
    process.disconnect();
  }
});

async function startBridge(url: string): Promise<Running> {
  const driver = simulatedDriver(
    Array.from({ length: LOCKS }, (_, i) => ({
      name: `Lock ${i + 1}`,
      latency_ms: 0,
      options: { slots: SLOTS, serial_number: `API-BENCH-${i + 1}` },
    })),
  );
  const h = new Harness(driver, { brokerUrl: url, logLevel: 'warn' });
  await h.startOnline();
  send({ type: 'ready', root: ROOT, deviceIds: driver.locks.map((_, i) => h.deviceId(i)) });
  return {
    async stop() {
      await h.stop();
      h.cleanup();
    },
    counts: () => {
      const { by_status } = h.bridge.store.health.codeCounts();
      const unsettled = Object.entries(by_status).reduce(
        (n, [status, count]) => n + (status === 'set' ? 0 : count),
        0,
      );
      const undelivered = h.bridge.store.events.backlogs().reduce((n, b) => n + b.undelivered, 0);
      return { ...h.bridge.store.tx.counts(), unsettled, undelivered };
    },
  };
}

/** What every request costs at least: an MQTT round trip through the same broker and one durable commit. */
async function startFloor(url: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'lockbridge-bench-floor-'));
  const db = new DatabaseSync(join(dir, 'floor.db'));
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('CREATE TABLE requests (request_id TEXT PRIMARY KEY, response TEXT NOT NULL, created_at INTEGER)');
  const insert = db.prepare('INSERT INTO requests (request_id, response, created_at) VALUES (?, ?, ?)');
  const root = 'lockbridge/floor';
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `floor-${randomUUID()}` });
  noDelay(client);
  client.on('connect', () => noDelay(client));
  const requests = `${root}/request/`;
  let commits = 0;
  client.on('message', (topic, payload, packet) => {
    const params = JSON.parse(payload.toString()) as Record<string, unknown>;
    const requestId = typeof params.request_id === 'string' ? params.request_id : randomUUID();
    const body = JSON.stringify({
      ok: true,
      request_id: requestId,
      access_code: { ...params, access_code_id: randomUUID(), status: 'setting' },
    });
    insert.run(requestId, body, Date.now()); // its own transaction: one fsync
    commits++;
    const { responseTopic, correlationData } = packet.properties ?? {};
    client.publish(responseTopic ?? `${root}/response/${topic.slice(requests.length)}`, body, {
      qos: 1,
      ...(correlationData ? { properties: { correlationData } } : {}),
    });
  });
  await client.subscribeAsync(`${requests}#`, { qos: 1 });
  const deviceIds = Array.from({ length: LOCKS }, () => randomUUID());
  send({ type: 'ready', root, deviceIds });
  return {
    async stop() {
      await client.endAsync();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
    counts: () => ({ commits, fsyncs: commits, unsettled: 0, undelivered: 0 }),
  };
}
