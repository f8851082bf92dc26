import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { Aedes } from 'aedes';
import type { Packet } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/core/backoff.ts';
import { connectMqtt, MqttConnection, type MqttOptions } from '../../src/transports/mqtt/connection.ts';
import { startEmbeddedBroker } from '../../src/transports/mqtt/embedded-broker.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { memoryLogger, retained, uniqueRoot, Watcher, waitFor } from './support.ts';

let broker: Broker;
const open: MqttConnection[] = [];
const watchers: Watcher[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.stop();
});
afterEach(async () => {
  for (const conn of open.splice(0)) await conn.close();
  for (const watcher of watchers.splice(0)) await watcher.stop();
});

function options(overrides: Partial<MqttOptions> = {}): MqttOptions {
  return { url: broker.url, clientId: `bridge-${randomUUID()}`, rootTopic: uniqueRoot(), ...overrides };
}

async function connect(opts: MqttOptions, log = memoryLogger().log): Promise<MqttConnection> {
  const conn = await connectMqtt(opts, log);
  open.push(conn);
  return conn;
}

async function watch(topics: string[]): Promise<Watcher> {
  const watcher = await Watcher.start(broker.url, topics);
  watchers.push(watcher);
  return watcher;
}

describe('connection to Mosquitto', () => {
  it('speaks MQTT 5 and publishes bridge/state online, retained', async () => {
    const opts = options();
    const conn = await connect(opts);
    expect(conn.connected).toBe(true);
    expect(conn.protocolVersion).toBe(5);
    const state = await retainedEventually(`${opts.rootTopic}/bridge/state`, '{"state":"online"}');
    expect(state).toBe('{"state":"online"}');
  });

  it('has the broker publish the last will (offline, retained) when the connection dies', async () => {
    // A long backoff keeps the bridge away after the loss, so the retained state stays the will's.
    const opts = options({ backoff: { base_ms: 60_000, max_ms: 60_000 } });
    const stateTopic = `${opts.rootTopic}/bridge/state`;
    const conn = await connect(opts);
    const watcher = await watch([stateTopic]);
    await watcher.next(stateTopic, (s) => s.text === '{"state":"online"}');

    conn.client.stream.destroy();

    await watcher.next(stateTopic, (s) => s.text === '{"state":"offline"}');
    await waitFor(() => !conn.connected, 'the connection to notice');
    expect((await retained(broker.url, stateTopic))?.text).toBe('{"state":"offline"}');
  });

  it('close() publishes offline itself and disconnects cleanly (no will)', async () => {
    const opts = options();
    const stateTopic = `${opts.rootTopic}/bridge/state`;
    const conn = await connect(opts);
    await retainedEventually(stateTopic, '{"state":"online"}');

    await conn.close();

    expect((await retained(broker.url, stateTopic))?.text).toBe('{"state":"offline"}');
    // Mosquitto logs "disconnected." for a DISCONNECT packet, "closed its connection." when the
    // socket just went away (which would have fired the will instead).
    await waitFor(() => broker.log().includes(`Client ${opts.clientId} disconnected.`), 'a clean disconnect');
    expect(broker.log()).not.toContain(`Client ${opts.clientId} closed its connection`);
  });

  it('close() returns even when the broker is unreachable', async () => {
    const conn = await connect(options({ url: 'mqtt://127.0.0.1:1', backoff: { base_ms: 50, max_ms: 50 } }));
    expect(conn.connected).toBe(false);
    await conn.close();
    expect(conn.client.disconnected).toBe(true);
  });

  it('logs an outage once when it starts and once when it ends, without the password', async () => {
    const memory = memoryLogger();
    const password = `pw-${randomUUID()}`;
    const opts = options({
      url: broker.url.replace('mqtt://', `mqtt://hub:${password}@`),
      username: 'hub',
      password,
      backoff: { base_ms: 20, max_ms: 80 },
    });
    const conn = await connect(opts, memory.log);
    let attempts = 0;
    conn.client.on('reconnect', () => {
      attempts += 1;
    });
    const disconnected = new Promise<void>((resolve) => conn.once('disconnected', resolve));
    const reconnected = new Promise<void>((resolve) => conn.once('connected', () => resolve()));

    await broker.kill();
    await disconnected;
    await waitFor(() => attempts >= 4, 'several reconnect attempts');
    await broker.restart();
    await reconnected;

    const lines = memory.lines();
    const outageStarts = lines.filter((l) => l.msg === 'MQTT broker unreachable; retrying');
    const outageEnds = lines.filter((l) => l.msg === 'MQTT broker reachable again');
    expect(outageStarts).toHaveLength(1);
    expect(outageStarts[0]!.level).toBe(40);
    expect(outageEnds).toHaveLength(1);
    expect(outageEnds[0]!.level).toBe(30);
    expect(outageEnds[0]!.outage_ms).toBeTypeOf('number');
    expect(outageEnds[0]!.attempts).toBeGreaterThanOrEqual(4);
    expect(memory.text()).not.toContain(password);
    expect(memory.text()).toContain('hub:***@');
  });
});

/** What the bridge's client sent and received, in order, as short labels. */
function packetLog(conn: MqttConnection): string[] {
  const seen: string[] = [];
  conn.client.on('packetsend', (packet: Packet) => {
    if (packet.cmd === 'subscribe') seen.push('SUBSCRIBE');
    if (packet.cmd === 'publish' && String(packet.topic).endsWith('/bridge/state'))
      seen.push(`PUBLISH ${String(packet.payload)}`);
  });
  conn.client.on('packetreceive', (packet: Packet) => {
    if (packet.cmd === 'suback') seen.push('SUBACK');
    if (packet.cmd === 'connack') seen.push(`CONNACK session_present=${packet.sessionPresent}`);
  });
  return seen;
}

/** Node's own record of setNoDelay() on a socket (it calls the handle only when the value changes). */
function noDelayOf(conn: MqttConnection): unknown {
  const stream = conn.client.stream as unknown as Record<symbol, unknown>;
  const symbol = Object.getOwnPropertySymbols(stream).find((s) => s.description === 'kSetNoDelay');
  return symbol === undefined ? undefined : stream[symbol];
}

/** A new session, as it must go: subscribed, and the SUBACK in, before online. */
const SUBSCRIBED_THEN_ONLINE = [
  'CONNACK session_present=false',
  'SUBSCRIBE',
  'SUBACK',
  'PUBLISH {"state":"online"}',
];

/** A connection to `own` with a request filter and quick reconnects, its packets logged from before the socket opens. */
function watchedConnection(own: Broker): { conn: MqttConnection; seen: string[] } {
  const opts = options({
    url: own.url,
    subscriptions: ['x/request/#'],
    backoff: { base_ms: 20, max_ms: 100 },
  });
  const conn = new MqttConnection(opts, memoryLogger().log);
  open.push(conn);
  return { conn, seen: packetLog(conn) };
}

/** Resolves with whether the next connect brought a new session. */
function nextConnect(conn: MqttConnection): Promise<boolean> {
  return new Promise((resolve) => conn.once('connected', (info) => resolve(info.newSession)));
}

describe('subscribed before online', () => {
  it('subscribes, and waits for the SUBACK, before saying online: on the first connect and on every new session', async () => {
    const own = await startMosquitto(); // restarted below without persistence: a new session
    try {
      const { conn, seen } = watchedConnection(own);
      await conn.firstAttempt;
      // connectMqtt (and with it the bridge's `ready`) resolves only after all of this.
      expect(seen).toEqual(SUBSCRIBED_THEN_ONLINE);

      const reconnected = nextConnect(conn);
      seen.length = 0;
      await own.restart();
      expect(await reconnected).toBe(true);
      expect(seen).toEqual(SUBSCRIBED_THEN_ONLINE);
      // A filter added later is kept the same way.
      await conn.keepSubscribed('x/later/#');
      const heard: string[] = [];
      conn.client.on('message', (topic) => heard.push(topic));
      const afterRestart = new Promise<void>((resolve) => conn.once('connected', () => resolve()));
      await own.restart(); // a new session again: both filters subscribed anew
      await afterRestart;
      const publisher = await Watcher.start(own.url, []);
      await publisher.publish('x/later/1', 'a');
      await publisher.publish('x/request/1', 'b');
      await waitFor(() => heard.length === 2, 'both messages, on filters subscribed anew');
      await publisher.stop();

      // The broker kept the session across a lost connection: no need to subscribe again.
      const again = nextConnect(conn);
      seen.length = 0;
      conn.client.stream.destroy();
      expect(await again).toBe(false);
      expect(seen[0]).toBe('CONNACK session_present=true');
      expect(seen).not.toContain('SUBSCRIBE');
      expect(seen.at(-1)).toBe('PUBLISH {"state":"online"}');
    } finally {
      await own.stop();
    }
  });
});

describe('an online the broker never acknowledged', () => {
  it('is not sent again ahead of the subscriptions when the next connect brings a new session', async () => {
    const own = await startMosquitto(); // no persistence: restarted, it has no session for us
    try {
      const { conn, seen } = watchedConnection(own);
      // Frozen once it granted the subscription: the `online` that follows gets no PUBACK, so
      // mqtt.js keeps it to send again on the next connect, before it even reports the CONNACK.
      conn.client.on('packetreceive', (packet: Packet) => {
        if (packet.cmd === 'suback' && seen.length === 3) own.pause();
      });
      await conn.firstAttempt;
      expect(seen).toEqual(SUBSCRIBED_THEN_ONLINE);

      const reconnected = nextConnect(conn);
      seen.length = 0;
      await own.kill();
      await own.restart();
      expect(await reconnected).toBe(true);
      expect(seen).toEqual(SUBSCRIBED_THEN_ONLINE);
    } finally {
      await own.stop();
    }
  });
});

describe('a refused subscription', () => {
  it('is logged once as an error, and the bridge still says online', async () => {
    // aedes (the embedded broker's engine) with an authorizer that refuses every subscription,
    // as an ACL would: SUBACK 0x80 (a null subscription is aedes's way to negate one).
    const aedes = await Aedes.createBroker({
      authorizeSubscribe: (_client, _subscription, callback) => callback(null, null),
    });
    const server = createServer(aedes.handle);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const memory = memoryLogger();
      const conn = await connect(
        options({ url: `mqtt://127.0.0.1:${port}`, subscriptions: ['x/request/#'] }),
        memory.log,
      );
      expect(conn.connected).toBe(true);
      const refusals = memory.lines().filter((l) => l.msg === 'the broker refused our subscription');
      expect(refusals).toHaveLength(1);
      expect(refusals[0]!.level).toBe(50);
      await conn.close();
    } finally {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      server.close();
    }
  });
});

describe('TCP_NODELAY', () => {
  it('is set on the bridge’s socket after connecting and again after each reconnect (a new socket)', async () => {
    const conn = await connect(options({ backoff: { base_ms: 20, max_ms: 100 } }));
    const first = conn.client.stream;
    expect(noDelayOf(conn)).toBe(true);
    const reconnected = new Promise<void>((resolve) => conn.once('connected', () => resolve()));
    first.destroy();
    await reconnected;
    expect(conn.client.stream).not.toBe(first);
    expect(noDelayOf(conn)).toBe(true);
  });
});

describe('connection to the embedded aedes broker', () => {
  it('falls back to MQTT 3.1.1 when the broker refuses 5, and keeps the will and online state', async () => {
    const embedded = await startEmbeddedBroker({ port: 0 }, memoryLogger().log);
    try {
      const memory = memoryLogger();
      const rootTopic = uniqueRoot();
      const conn = await connectMqtt(
        { url: embedded.url, clientId: `bridge-${randomUUID()}`, rootTopic },
        memory.log,
      );
      try {
        expect(conn.connected).toBe(true);
        expect(conn.protocolVersion).toBe(4);
        expect(memory.lines().some((l) => l.msg === 'MQTT broker unreachable; retrying')).toBe(false);
        expect(
          await retainedEventually(`${rootTopic}/bridge/state`, '{"state":"online"}', embedded.url, 4),
        ).toBe('{"state":"online"}');
      } finally {
        await conn.close();
      }
      expect((await retained(embedded.url, `${rootTopic}/bridge/state`, 4))?.text).toBe(
        '{"state":"offline"}',
      );
    } finally {
      await embedded.close();
    }
  });
});

describe('reconnect backoff', () => {
  const backoff = { base_ms: 1000, max_ms: 30_000 };
  it('doubles from 1 s and stops at 30 s', () => {
    const middle = () => 0.5; // no jitter
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((attempt) => backoffDelay(attempt + 1, backoff, middle))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });
  it('spreads attempts by ±20 % but never past the cap', () => {
    expect(backoffDelay(1, backoff, () => 0)).toBe(800);
    expect(backoffDelay(1, backoff, () => 0.999999)).toBe(1200);
    expect(backoffDelay(11, backoff, () => 0.999999)).toBe(30_000);
  });
});

/** The online message is published right after CONNACK; it may still be on its way. */
async function retainedEventually(topic: string, expected: string, url = broker.url, version: 4 | 5 = 5) {
  let text: string | undefined;
  for (let attempt = 0; attempt < 100 && text !== expected; attempt++) {
    text = (await retained(url, topic, version))?.text;
    if (text !== expected) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return text;
}
