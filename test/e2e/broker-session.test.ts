// When the broker starts a new session for the bridge (its first start, or a broker restarted
// without persistence): the bridge subscribes before it says online, so requests sent the instant
// `online` arrives are all answered; and every retained topic the broker lost is published again.
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import { Harness, ROOT, simulatedDriver } from '../helpers/bridge-harness.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { retained } from '../transports/support.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

async function broker(persistence = false): Promise<Broker> {
  const b = await startMosquitto({ persistence });
  cleanups.push(() => b.stop());
  return b;
}

function harness(brokerUrl: string, locks = 1, yaml = '', dataDir?: string): Harness {
  const names = Array.from({ length: locks }, (_, i) => ({ name: `Door ${i + 1}` }));
  const h = new Harness(simulatedDriver(names), { brokerUrl, yaml, ...(dataDir ? { dataDir } : {}) });
  cleanups.push(async () => {
    await h.stop().catch(() => undefined);
    h.cleanup();
  });
  return h;
}

/**
 * A client that fires `burst` requests the instant it sees `online` on bridge/state (retained or
 * live), each time it does, and keeps every answer.
 */
async function impatientClient(url: string, burst: number) {
  const client: MqttClient = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: `impatient-${randomUUID().slice(0, 8)}`,
    reconnectPeriod: 50,
  });
  cleanups.push(() => client.endAsync(true));
  const sent: string[] = [];
  const answered = new Set<string>();
  client.on('message', (topic, payload) => {
    if (topic === `${ROOT}/bridge/state` && payload.toString() === '{"state":"online"}') {
      for (let i = 0; i < burst; i++) {
        const request_id = `r-${sent.length}`;
        sent.push(request_id);
        client.publish(`${ROOT}/request/devices/list`, JSON.stringify({ request_id }), { qos: 1 });
      }
    } else if (topic.startsWith(`${ROOT}/response/`)) {
      answered.add(JSON.parse(payload.toString()).request_id);
    }
  });
  await client.subscribeAsync([`${ROOT}/bridge/state`, `${ROOT}/response/#`], { qos: 1 });
  return { client, sent, answered };
}

describe('subscribed before online', () => {
  it('answers every request sent the instant online arrives: at first start and after a broker restart without persistence', async () => {
    // A backlog of events and retained state, made while no broker could be reached: the bridge
    // has plenty to publish the moment it connects, ahead of anything it has not sent yet.
    const offline = harness('mqtt://127.0.0.1:1', 3);
    await offline.startOnline();
    for (let i = 0; i < 30; i++) {
      await offline.call('access_codes/create', { device_id: offline.deviceId(i % 3), code: `${4000 + i}` });
    }
    expect(offline.bridge.store.retained.peek(0, 1000).length).toBeGreaterThan(30);
    await offline.stop();

    const b = await broker();
    const h = harness(b.url, 3, '', offline.dataDir);
    const impatient = await impatientClient(b.url, 50);
    await h.start();
    await eventually(() => impatient.sent.length === 50, 10_000, 'the first burst sent');
    await eventually(() => impatient.answered.size === 50, 10_000, 'the first burst answered');
    // As the broker saw it: our SUBSCRIBE acknowledged before it got our online.
    expect(bridgeSteps(b.log())).toEqual(['SUBSCRIBE', 'SUBACK', 'online']);

    // The broker forgets everything: the bridge gets a new session, and the client too.
    await b.restart();
    await eventually(() => impatient.sent.length >= 100, 15_000, 'the second burst sent');
    await eventually(
      () => impatient.sent.every((id) => impatient.answered.has(id)),
      10_000,
      'every request answered',
    );
    // The same again on the new session (the broker appends to its log across the restart).
    expect(bridgeSteps(b.log())).toEqual(['SUBSCRIBE', 'SUBACK', 'online', 'SUBSCRIBE', 'SUBACK', 'online']);
  });
});

/** The bridge's subscription and online message in the order the broker logged them. */
function bridgeSteps(brokerLog: string): string[] {
  const client = 'lockbridge-test-hub';
  return brokerLog.split('\n').flatMap((line) => {
    if (line.includes(`Received SUBSCRIBE from ${client}`)) return ['SUBSCRIBE'];
    if (line.includes(`Sending SUBACK to ${client}`)) return ['SUBACK'];
    if (line.includes(`Received PUBLISH from ${client}`) && line.includes('/bridge/state')) return ['online'];
    return [];
  });
}

describe('retained state after the broker lost it', () => {
  async function withCodes(b: Broker, yaml = '') {
    const h = harness(b.url, 2, yaml);
    await h.startOnline();
    const ids: string[] = [];
    for (const [lock, code] of [
      [0, '482916'],
      [0, '613094'],
      [1, '705112'],
    ] as const) {
      const created = await h.call('access_codes/create', { device_id: h.deviceId(lock), code });
      ids.push(created.access_code.access_code_id);
    }
    const deleted = ids.pop()!;
    await h.call('access_codes/delete', { access_code_id: deleted });
    for (const id of ids) {
      await eventually(
        async () => (await h.call('access_codes/get', { access_code_id: id })).access_code.status === 'set',
      );
    }
    // Everything queued has reached the broker.
    await eventually(() => h.bridge.store.retained.peek(0, 10).length === 0, 10_000, 'the outbox drained');
    return { h, live: ids, deleted };
  }

  const topic = (rel: string) => `${ROOT}/${rel}`;

  it('publishes every device, live access code and bridge/info again on a new session, without PINs', async () => {
    const b = await broker(false);
    const { h, live, deleted } = await withCodes(b);
    const devices = [h.deviceId(0), h.deviceId(1)];
    expect(await retained(b.url, topic(`access_codes/${live[0]}`))).not.toBeNull();

    // No persistence: every retained message is gone. (Not checked here: the bridge's reconnect,
    // 0.8-1.2 s later, may on a slow machine come before the check and publish them again.)
    await b.restart();

    await eventually(
      () => h.log.text.includes('every retained topic published again'),
      10_000,
      'the retained topics published again',
    );
    for (const id of devices) {
      const device = await retained(b.url, topic(`devices/${id}`));
      expect(JSON.parse(device!.text)).toMatchObject({ device_id: id, properties: { online: true } });
    }
    for (const id of live) {
      const code = JSON.parse((await retained(b.url, topic(`access_codes/${id}`)))!.text);
      expect(code).toMatchObject({ access_code_id: id, status: 'set' });
      expect(code).not.toHaveProperty('code'); // no PIN without mqtt.include_codes
    }
    expect(await retained(b.url, topic(`access_codes/${deleted}`))).toBeNull();
    expect(JSON.parse((await retained(b.url, topic('bridge/info')))!.text)).toMatchObject({
      gateway_id: 'test-hub',
    });
    expect((await retained(b.url, topic('bridge/state')))!.text).toBe('{"state":"online"}');
    const line = h.log.chunks
      .map((chunk) => JSON.parse(chunk))
      .find((l) => l.msg === 'every retained topic published again');
    expect(line).toMatchObject({ topics: 1 + 2 + 2, refused: 0 }); // bridge/info, 2 devices, 2 codes
  });

  it('does nothing of the kind when the broker kept the session (persistence)', async () => {
    const b = await broker(true);
    const { h, live } = await withCodes(b);
    const reconnected = h.log.chunks.length;
    await b.restart();
    await eventually(
      () => h.log.chunks.slice(reconnected).some((c) => c.includes('MQTT broker reachable again')),
      10_000,
      'the bridge back on the broker',
    );
    expect(await retained(b.url, topic(`access_codes/${live[0]}`))).not.toBeNull();
    expect(h.log.text).not.toContain('publishing every retained topic again');
  });
});
