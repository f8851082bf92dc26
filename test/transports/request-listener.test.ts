import { randomUUID } from 'node:crypto';
import type { Packet } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RequestHandler } from '../../src/api/request-handler.ts';
import { connectMqtt, type MqttConnection, type MqttOptions } from '../../src/transports/mqtt/connection.ts';
import { startEmbeddedBroker } from '../../src/transports/mqtt/embedded-broker.ts';
import { requestSubscription, startRequestListener } from '../../src/transports/mqtt/request-listener.ts';
import { responseTopicCheck } from '../../src/transports/mqtt/response-topics.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { memoryLogger, retained, uniqueRoot, Watcher, waitFor } from './support.ts';

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

/** connectMqtt resolves once the request subscription is in place (SUBACK) and online was said. */
async function bridge(handler: RequestHandler, overrides: Partial<MqttOptions> = {}) {
  const rootTopic = overrides.rootTopic ?? uniqueRoot();
  const opts: MqttOptions = {
    url: broker.url,
    clientId: `bridge-${randomUUID()}`,
    rootTopic,
    backoff: { base_ms: 20, max_ms: 100 },
    subscriptions: [requestSubscription(rootTopic)],
    ...overrides,
  };
  const conn = await connectMqtt(opts, memoryLogger().log);
  const memory = memoryLogger();
  const listener = startRequestListener(conn, handler, memory.log, { maxPayloadBytes: MAX_PAYLOAD_BYTES });
  cleanups.push(() => conn.close());
  cleanups.push(() => listener.stop());
  return { conn, listener, root: opts.rootTopic, opts, memory };
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

  it('answers on the MQTT 5 Response Topic with the Correlation Data, and only there, never retained', async () => {
    const { root } = await bridge(echo([]));
    const inbox = `${root}/clients/${randomUUID()}/inbox`;
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
    expect(await retained(broker.url, inbox)).toBeNull();
  });

  it('answers below a configured response topic prefix', async () => {
    const conn = await connectMqtt(
      {
        url: broker.url,
        clientId: `bridge-${randomUUID()}`,
        rootTopic: uniqueRoot(),
        subscriptions: [],
      },
      memoryLogger().log,
    );
    cleanups.push(() => conn.close());
    const root = conn.rootTopic;
    await conn.client.subscribeAsync(requestSubscription(root), { qos: 1 });
    const prefix = `cloud-${randomUUID().slice(0, 8)}/answers/`;
    const listener = startRequestListener(conn, echo([]), memoryLogger().log, {
      maxPayloadBytes: MAX_PAYLOAD_BYTES,
      responseTopics: responseTopicCheck({ rootTopic: root, allowedPrefixes: [prefix] }),
    });
    cleanups.push(() => listener.stop());
    const client = await watch(broker.url, [`${prefix}#`]);
    await client.publish(`${root}/request/devices/list`, '{}', {
      qos: 1,
      properties: { responseTopic: `${prefix}42` },
    });
    expect(json((await client.next(`${prefix}42`)).text).route).toBe('devices/list');
  });

  it('refuses a Response Topic it must not publish to: the handler is told, the answer goes to the default topic', async () => {
    const calls: Array<{ route: string; refusal: string | undefined }> = [];
    const handler: RequestHandler = async (route, _payload, context) => {
      calls.push({ route, refusal: context.refusal?.type });
      return { ok: false, refused: context.refusal?.message, request_id: context.generatedRequestId };
    };
    const { root, memory } = await bridge(handler);
    const otherGateway = `${root.slice(0, root.lastIndexOf('/'))}/gw-other`;
    const refused = [
      `${root}/bridge/state`,
      `${root}/events/access_code.deleted`,
      `${root}/access_codes/7f0c`,
      `${root}/devices/d1`,
      `${root}/response/devices/list`,
      `${root}/request/access_codes/delete`, // the bridge would answer its own answer
      `${otherGateway}/clients/x`,
      `${otherGateway}/bridge/state`,
      'zigbee2mqtt/bridge/request/permit_join',
      '$SYS/broker/x',
      'a/#',
      'a/+/b',
    ];
    const client = await watch(broker.url, ['#']);
    const correlationData = Buffer.from('c-1');
    for (const topic of refused) {
      await client.publish(`${root}/request/devices/list`, '{}', {
        qos: 1,
        properties: { responseTopic: topic, correlationData },
      });
    }
    // Each answer is the refusal, on the default topic, with the Correlation Data.
    await waitFor(
      () => client.on(`${root}/response/devices/list`).length === refused.length,
      'every refusal answered',
    );
    const answers = client.on(`${root}/response/devices/list`);
    expect(answers.every((a) => a.packet.properties?.correlationData?.equals(correlationData))).toBe(true);
    expect(answers.map((a) => json(a.text).refused)).toEqual(
      refused.map(() =>
        expect.stringMatching(/does not answer on the Response Topic .*The request was not run/),
      ),
    );
    expect(calls.map((c) => c.refusal)).toEqual(refused.map(() => 'response_topic_not_allowed'));
    // No answer went to a refused topic (the watcher sees every topic but $SYS): all it saw there
    // is the bridge's own retained state (and the default topic's refusals, counted above).
    const defaultTopic = `${root}/response/devices/list`;
    const elsewhere = client.seen.filter((s) => refused.includes(s.topic) && s.topic !== defaultTopic);
    expect(elsewhere.map((s) => [s.topic, s.text])).toEqual([[`${root}/bridge/state`, '{"state":"online"}']]);
    // One warning for each topic; the same topic again is a debug line.
    await client.publish(`${root}/request/devices/list`, '{}', {
      qos: 1,
      properties: { responseTopic: `${root}/bridge/state` },
    });
    await waitFor(
      () => client.on(`${root}/response/devices/list`).length === refused.length + 1,
      'the repeat answered',
    );
    const warnings = memory.lines().filter((l) => String(l.msg).startsWith('Response Topic refused;'));
    expect(warnings.map((w) => w.response_topic)).toEqual(refused);
    expect(memory.lines().filter((l) => l.msg === 'Response Topic refused again')).toHaveLength(1);
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
        {
          url: broker.url,
          clientId,
          rootTopic,
          backoff: { base_ms: 20, max_ms: 100 },
          subscriptions: [requestSubscription(rootTopic)],
        },
        memoryLogger().log,
      );
      const listener = startRequestListener(conn, echo(calls), memory.log, {
        maxPayloadBytes: MAX_PAYLOAD_BYTES,
      });
      cleanups.push(() => conn!.close());
      cleanups.push(() => listener.stop());
    });
    // Online is said only once the request subscription is in place.
    const client = await watch(broker.url, [`${rootTopic}/response/#`, `${rootTopic}/bridge/state`]);
    await waitFor(
      () => client.seen.some((m) => m.topic.endsWith('/bridge/state') && m.text.includes('"online"')),
      'online once the broker is back',
    );
    await client.publish(`${rootTopic}/request/devices/list`, '{}');
    await client.next(`${rootTopic}/response/devices/list`);
    expect(calls.map((c) => c.route)).toEqual(['devices/list']);
    expect(memory.text()).not.toContain('refused our subscription');
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
