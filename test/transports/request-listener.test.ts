import { randomUUID } from 'node:crypto';
import type { Packet } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RequestHandler } from '../../src/api/request-handler.ts';
import { connectMqtt, type MqttConnection, type MqttOptions } from '../../src/transports/mqtt/connection.ts';
import { startEmbeddedBroker } from '../../src/transports/mqtt/embedded-broker.ts';
import { startRequestListener } from '../../src/transports/mqtt/request-listener.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { memoryLogger, uniqueRoot, Watcher, waitFor } from './support.ts';

const MAX_PAYLOAD_BYTES = 65_536;

interface Call {
  route: string;
  payload: Buffer;
  generatedRequestId: string;
}

/** Stands in for the API: records the call and answers with what it saw. */
function echo(calls: Call[]): RequestHandler {
  return async (route, payload, context) => {
    calls.push({ route, payload, generatedRequestId: context.generatedRequestId });
    return { ok: true, route, bytes: payload.length, request_id: context.generatedRequestId };
  };
}

let broker: Broker;
const cleanups: Array<() => Promise<unknown> | undefined> = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.stop();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bridge(handler: RequestHandler, overrides: Partial<MqttOptions> = {}) {
  const opts: MqttOptions = {
    url: broker.url,
    clientId: `bridge-${randomUUID()}`,
    rootTopic: uniqueRoot(),
    backoff: { base_ms: 20, max_ms: 100 },
    ...overrides,
  };
  const conn = await connectMqtt(opts, memoryLogger().log);
  const memory = memoryLogger();
  const listener = startRequestListener(conn, handler, memory.log, { maxPayloadBytes: MAX_PAYLOAD_BYTES });
  cleanups.push(() => conn.close());
  cleanups.push(() => listener.stop());
  await subscribed(conn);
  return { conn, listener, root: opts.rootTopic, opts, memory };
}

/** Waits until the broker acknowledged the request subscription (SUBACK). */
async function subscribed(conn: MqttConnection): Promise<void> {
  await waitFor(() => Object.keys(conn.client.messageIdToTopic).length === 0, 'the SUBACK');
}

async function watch(url: string, topics: string[], version: 4 | 5 = 5): Promise<Watcher> {
  const watcher = await Watcher.start(url, topics, version);
  cleanups.push(() => watcher.stop());
  return watcher;
}

function json(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}

describe('request listener on Mosquitto (MQTT 5)', () => {
  it('hands route and raw payload to the handler and answers on response/<route>', async () => {
    const calls: Call[] = [];
    const { conn, root } = await bridge(echo(calls));
    expect(conn.protocolVersion).toBe(5);
    const client = await watch(broker.url, [`${root}/response/#`]);

    await client.publish(`${root}/request/access_codes/create`, '{"device_id":"d1","code":"1234"}');

    const response = await client.next(`${root}/response/access_codes/create`);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.route).toBe('access_codes/create');
    expect(Buffer.isBuffer(calls[0]!.payload)).toBe(true);
    expect(calls[0]!.payload.toString()).toBe('{"device_id":"d1","code":"1234"}');
    expect(json(response.text)).toEqual({
      ok: true,
      route: 'access_codes/create',
      bytes: 32,
      request_id: calls[0]!.generatedRequestId,
    });
    expect(response.packet.qos).toBe(1);
    expect(response.packet.retain).toBe(false);
  });

  it('answers on the MQTT 5 Response Topic with the Correlation Data, and only there', async () => {
    const { root } = await bridge(echo([]));
    const inbox = `clients/${randomUUID()}/inbox`;
    const client = await watch(broker.url, [`${root}/response/#`, inbox]);
    const correlationData = Buffer.from([0, 1, 2, 250, 255]);

    await client.publish(`${root}/request/devices/list`, '{}', {
      qos: 1,
      properties: { responseTopic: inbox, correlationData },
    });
    const answer = await client.next(inbox);
    expect(json(answer.text).route).toBe('devices/list');
    expect(answer.packet.properties?.correlationData).toEqual(correlationData);

    // Responses keep their order through the broker: had the first also gone to the default
    // topic, it would arrive there before this one.
    await client.publish(`${root}/request/devices/get`, '{}');
    await client.next(`${root}/response/devices/get`);
    expect(client.seen.filter((s) => s.topic.startsWith(`${root}/response/`)).map((s) => s.topic)).toEqual([
      `${root}/response/devices/get`,
    ]);
  });

  it('answers on the default topic when the Response Topic is a wildcard, and keeps running', async () => {
    const { root, memory } = await bridge(echo([]));
    const client = await watch(broker.url, [`${root}/response/#`]);
    await client.publish(`${root}/request/devices/list`, '{}', {
      qos: 1,
      properties: { responseTopic: 'a/#' },
    });
    await client.next(`${root}/response/devices/list`);
    expect(
      memory.lines().some((l) => l.msg === 'invalid Response Topic; answering on the default topic'),
    ).toBe(true);
    await client.publish(`${root}/request/devices/get`, '{}');
    await client.next(`${root}/response/devices/get`);
  });

  it('passes a 1 MiB payload to the handler as a Buffer and keeps running', async () => {
    const calls: Call[] = [];
    const { root, memory } = await bridge(echo(calls));
    const client = await watch(broker.url, [`${root}/response/#`]);
    const big = Buffer.alloc(1024 * 1024, 'x');

    await client.publish(`${root}/request/access_codes/create`, big);
    const response = await client.next(`${root}/response/access_codes/create`);
    expect(json(response.text).bytes).toBe(big.length);
    expect(calls[0]!.payload.equals(big)).toBe(true);
    expect(memory.lines().find((l) => l.msg === 'request payload too large')).toMatchObject({
      level: 40,
      route: 'access_codes/create',
      bytes: big.length,
    });

    await client.publish(`${root}/request/devices/list`, '{}');
    await client.next(`${root}/response/devices/list`);
  });

  it('handles requests concurrently', async () => {
    let release: () => void = () => {};
    const thirdStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    const started: string[] = [];
    const handler: RequestHandler = async (route, _payload, context) => {
      started.push(route);
      if (started.length === 3) release();
      // The first two wait for the third: handled one at a time, this never finishes.
      await thirdStarted;
      return { ok: true, request_id: context.generatedRequestId };
    };
    const { root } = await bridge(handler);
    const client = await watch(broker.url, [`${root}/response/#`]);
    for (const route of ['a', 'b', 'c']) await client.publish(`${root}/request/${route}`, '{}');
    for (const route of ['a', 'b', 'c']) await client.next(`${root}/response/${route}`);
    expect(started.sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('request acknowledgement', () => {
  it('sends the PUBACK only after the handler answered', async () => {
    const order: string[] = [];
    const handler: RequestHandler = async (_route, _payload, context) => {
      order.push('handler started');
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('handler answered');
      return { ok: true, request_id: context.generatedRequestId };
    };
    const { conn, root } = await bridge(handler);
    conn.client.on('packetsend', (packet: Packet) => {
      if (packet.cmd === 'puback') order.push('puback');
    });
    const client = await watch(broker.url, [`${root}/response/#`]);
    await client.publish(`${root}/request/devices/list`, '{}');
    await client.next(`${root}/response/devices/list`);
    await waitFor(() => order.includes('puback'), 'the PUBACK');
    expect(order).toEqual(['handler started', 'handler answered', 'puback']);
  });

  it('leaves a request the bridge crashed on in its session, for the next run to answer', async () => {
    const clientId = `bridge-${randomUUID()}`;
    const rootTopic = uniqueRoot();
    const crashed: Call[] = [];
    let first: MqttConnection | undefined;
    let afterlife: () => void = () => {};
    const crashing: RequestHandler = async (route, payload, context) => {
      crashed.push({ route, payload, generatedRequestId: context.generatedRequestId });
      await new Promise((resolve) => setTimeout(resolve, 50)); // busy with the store, say
      first!.client.end(true); // the process dies here: no DISCONNECT, no answer, no PUBACK
      await new Promise<void>((resolve) => {
        afterlife = resolve;
      });
      return { ok: true };
    };
    first = (await bridge(crashing, { clientId, rootTopic })).conn;
    cleanups.push(async () => afterlife()); // lets the dead handler end, so its listener can stop
    const client = await watch(broker.url, [`${rootTopic}/response/#`]);
    await client.publish(`${rootTopic}/request/access_codes/delete`, '{"access_code_id":"c1"}');
    await waitFor(() => crashed.length === 1 && first!.client.disconnected, 'the crash');

    const calls: Call[] = [];
    await bridge(echo(calls), { clientId, rootTopic });

    const response = await client.next(`${rootTopic}/response/access_codes/delete`);
    expect(calls.map((c) => [c.route, c.payload.toString()])).toEqual([
      ['access_codes/delete', '{"access_code_id":"c1"}'],
    ]);
    expect(json(response.text).request_id).toBe(calls[0]!.generatedRequestId);
  });

  it('keeps requests sent while the bridge is down, and holds them until the listener attaches', async () => {
    const clientId = `bridge-${randomUUID()}`;
    const rootTopic = uniqueRoot();
    const before = await bridge(echo([]), { clientId, rootTopic });
    await before.listener.stop();
    await before.conn.close();
    const client = await watch(broker.url, [`${rootTopic}/response/#`]);
    await client.publish(`${rootTopic}/request/devices/list`, '{"n":1}');

    const conn = await connectMqtt({ url: broker.url, clientId, rootTopic }, memoryLogger().log);
    cleanups.push(() => conn.close());
    await waitFor(() => conn.inbound.held === 1, 'the queued request to arrive');
    const calls: Call[] = [];
    const listener = startRequestListener(conn, echo(calls), memoryLogger().log, { maxPayloadBytes: 65_536 });
    cleanups.push(() => listener.stop());

    await client.next(`${rootTopic}/response/devices/list`);
    expect(calls.map((c) => c.payload.toString())).toEqual(['{"n":1}']);
  });

  it('subscribes once the broker is reachable when it was not at start (a first run, a broker rebooting)', async () => {
    const calls: Call[] = [];
    const rootTopic = uniqueRoot();
    const memory = memoryLogger();
    // A fresh client id: no session in the broker remembers a subscription for it.
    const clientId = `bridge-${randomUUID()}`;
    let conn: MqttConnection | undefined;
    await broker.restart(async () => {
      conn = await connectMqtt(
        { url: broker.url, clientId, rootTopic, backoff: { base_ms: 20, max_ms: 100 } },
        memoryLogger().log,
      );
      const listener = startRequestListener(conn, echo(calls), memory.log, {
        maxPayloadBytes: MAX_PAYLOAD_BYTES,
      });
      cleanups.push(() => conn!.close());
      cleanups.push(() => listener.stop());
    });
    await waitFor(() => conn!.connected, 'the connection once the broker is back');
    await subscribed(conn!);
    const client = await watch(broker.url, [`${rootTopic}/response/#`]);
    await client.publish(`${rootTopic}/request/devices/list`, '{}');
    await client.next(`${rootTopic}/response/devices/list`);
    expect(calls.map((c) => c.route)).toEqual(['devices/list']);
    expect(memory.text()).not.toContain('could not subscribe');
  });

  it('does not run a request again when the broker redelivers it while it is being handled', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls: string[] = [];
    const handler: RequestHandler = async (route, _payload, context) => {
      calls.push(route);
      await released;
      return { ok: true, request_id: context.generatedRequestId };
    };
    const { conn, root } = await bridge(handler);
    const client = await watch(broker.url, [`${root}/response/#`]);
    let redelivered: number | undefined;
    const pubacks: number[] = [];
    conn.client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd === 'publish' && packet.dup) redelivered = packet.messageId;
    });
    conn.client.on('packetsend', (packet: Packet) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined) pubacks.push(packet.messageId);
    });

    await client.publish(`${root}/request/locks/unlock_door`, '{}');
    await waitFor(() => calls.length === 1, 'the handler to start');
    conn.client.stream.destroy(); // connection lost mid-request; the session keeps it unacknowledged
    await waitFor(() => redelivered !== undefined, 'the broker to redeliver after the reconnect');

    release();
    await client.next(`${root}/response/locks/unlock_door`);
    await waitFor(() => pubacks.includes(redelivered!), 'the PUBACK for the redelivered request');
    expect(calls).toEqual(['locks/unlock_door']);
  });
});

describe('request listener on the embedded aedes broker (MQTT 3.1.1)', () => {
  it('answers a request after falling back to 3.1.1', async () => {
    const embedded = await startEmbeddedBroker({ port: 0 }, memoryLogger().log);
    cleanups.push(() => embedded.close());
    const calls: Call[] = [];
    const { conn, root } = await bridge(echo(calls), { url: embedded.url });
    expect(conn.protocolVersion).toBe(4);
    const client = await watch(embedded.url, [`${root}/response/#`], 4);

    await client.publish(`${root}/request/devices/list`, '{}');

    const response = await client.next(`${root}/response/devices/list`);
    expect(json(response.text)).toMatchObject({ ok: true, route: 'devices/list' });
    expect(calls.map((c) => c.route)).toEqual(['devices/list']);
  });
});
