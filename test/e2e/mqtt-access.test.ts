// Who may do what on the broker: the shipped ACL example (config/mosquitto/acl.conf) loaded into a
// real Mosquitto with passwords. The cloud drives the bridge; a read-only monitor sees state and
// events but can neither create codes nor read answers (they carry PINs); Response Topics the
// bridge must not publish to are refused.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientPublishOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import { Harness, simulatedDriver } from '../helpers/bridge-harness.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';

const ACL = new URL('../../config/mosquitto/acl.conf', import.meta.url).pathname;
const ROOT = 'lockbridge/hub-1';
const PASSWORDS = {
  'lockbridge-hub-1': `bridge-${randomUUID()}`,
  cloud: `cloud-${randomUUID()}`,
  monitor: `monitor-${randomUUID()}`,
  homeassistant: `ha-${randomUUID()}`,
};
const PIN = '482916';

interface Seen {
  topic: string;
  text: string;
}

/** A user of the broker that keeps what it receives. */
async function user(url: string, username: keyof typeof PASSWORDS) {
  const client: MqttClient = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: `${username}-${randomUUID().slice(0, 8)}`,
    username,
    password: PASSWORDS[username],
    reconnectPeriod: 0,
  });
  const seen: Seen[] = [];
  client.on('message', (topic, payload) => seen.push({ topic, text: payload.toString() }));
  // Mosquitto 2.0 grants any subscription and checks the ACL as it delivers each message.
  const subscribe = (filters: string[]) => client.subscribeAsync(filters, { qos: 1 });
  const publish = (topic: string, payload: string, opts: IClientPublishOptions = { qos: 1 }) =>
    client.publishAsync(topic, payload, opts);
  return { client, seen, subscribe, publish };
}

let broker: Broker;
let h: Harness;
let cloud: Awaited<ReturnType<typeof user>>;
let monitor: Awaited<ReturnType<typeof user>>;
let homeAssistant: Awaited<ReturnType<typeof user>>;

beforeAll(async () => {
  broker = await startMosquitto({ users: PASSWORDS, aclFile: ACL });
  h = new Harness(simulatedDriver([{ name: 'Front door' }]), {
    brokerUrl: broker.url,
    yaml: 'gateway_id: hub-1\nmqtt: { username: lockbridge-hub-1, password_file: bridge-password }\n',
  });
  writeFileSync(join(h.dataDir, '..', 'bridge-password'), PASSWORDS['lockbridge-hub-1']);
  await h.startOnline();
  cloud = await user(broker.url, 'cloud');
  monitor = await user(broker.url, 'monitor');
  homeAssistant = await user(broker.url, 'homeassistant');
});
afterAll(async () => {
  await cloud?.client.endAsync(true);
  await monitor?.client.endAsync(true);
  await homeAssistant?.client.endAsync(true);
  await h?.stop();
  h?.cleanup();
  await broker?.stop();
});

/** The cloud's request, answered on the default topic or on its own Response Topic. */
async function cloudRequest(route: string, params: Record<string, unknown>, responseTopic?: string) {
  const request_id = randomUUID();
  const answerTopic = responseTopic ?? `${ROOT}/response/${route}`;
  await cloud.publish(`${ROOT}/request/${route}`, JSON.stringify({ ...params, request_id }), {
    qos: 1,
    ...(responseTopic ? { properties: { responseTopic } } : {}),
  });
  const answer = await eventually(
    () => cloud.seen.find((s) => s.topic === answerTopic && s.text.includes(request_id)),
    10_000,
    `the answer on ${answerTopic}`,
  );
  return JSON.parse(answer!.text);
}

describe('the shipped ACL example', () => {
  it('the bridge runs under it: subscribed, online, answering the cloud', async () => {
    await cloud.subscribe([`${ROOT}/#`]);
    const list = await cloudRequest('devices/list', {});
    expect(list.ok).toBe(true);
    expect(list.devices).toHaveLength(1);
    expect(h.log.text).not.toContain('the broker refused our subscription');
    expect(h.log.text).not.toContain('broker did not take');
  });

  it('a monitor reads state and events, but no answer, default or per-client, and no PIN', async () => {
    await monitor.subscribe([`${ROOT}/response/#`, `${ROOT}/clients/#`, '#']);

    const created = await cloudRequest('access_codes/create', { device_id: h.deviceId(), code: PIN });
    expect(created.access_code.code).toBe(PIN);
    const own = await cloudRequest('devices/list', {}, `${ROOT}/clients/cloud/answers`);
    expect(own.ok).toBe(true);
    // The event came after both answers on the bridge's one connection: had the monitor been
    // let through to an answer, it would have it by now.
    await eventually(
      () => monitor.seen.some((s) => s.topic === `${ROOT}/events/access_code.set_on_device`),
      10_000,
      'the monitor sees the set_on_device event',
    );
    expect(
      monitor.seen.filter((s) => s.topic.includes('/response/') || s.topic.includes('/clients/')),
    ).toEqual([]);
    expect(monitor.seen.some((s) => s.text.includes(PIN))).toBe(false);
    expect(monitor.seen.some((s) => s.topic === `${ROOT}/bridge/state`)).toBe(true);
    expect(monitor.seen.some((s) => s.topic.startsWith(`${ROOT}/devices/`))).toBe(true);
  });

  it('a monitor can not create codes: the broker refuses its request, and the bridge never sees it', async () => {
    const before = h.bridge.store.codes.liveForDevice(h.deviceId()).length;
    const refused = await monitor
      .publish(
        `${ROOT}/request/access_codes/create`,
        JSON.stringify({ request_id: 'monitor-1', device_id: h.deviceId(), code: '613094' }),
      )
      .then(
        () => 'accepted',
        (error: Error) => error.message,
      );
    expect(refused).toMatch(/Not authorized/i); // MQTT 5 PUBACK reason code 0x87
    // The cloud's next request is answered after anything queued before it: nothing was created.
    const list = await cloudRequest('access_codes/list', { device_id: h.deviceId() });
    expect(list.access_codes).toHaveLength(before);
    expect(h.log.text).not.toContain('monitor-1');
  });
});

describe('Response Topics under the ACL', () => {
  it('a Response Topic on the bridge’s own topics is refused: answered on the default topic, not run', async () => {
    const before = h.bridge.store.codes.liveForDevice(h.deviceId()).length;
    const request_id = `deputy-${randomUUID()}`;
    await cloud.publish(
      `${ROOT}/request/access_codes/create`,
      JSON.stringify({ request_id, device_id: h.deviceId(), code: '705112' }),
      { qos: 1, properties: { responseTopic: `${ROOT}/bridge/state`, correlationData: Buffer.from('c') } },
    );
    const answer = await eventually(
      () =>
        cloud.seen.find(
          (s) => s.topic === `${ROOT}/response/access_codes/create` && s.text.includes(request_id),
        ),
      10_000,
      'the refusal',
    );
    expect(JSON.parse(answer!.text)).toMatchObject({
      ok: false,
      request_id,
      error: { type: 'response_topic_not_allowed', data: { response_topic: `${ROOT}/bridge/state` } },
    });
    expect(h.bridge.store.codes.liveForDevice(h.deviceId())).toHaveLength(before);
    expect(cloud.seen.filter((s) => s.topic === `${ROOT}/bridge/state`).map((s) => s.text)).not.toContain(
      answer!.text,
    );
    expect(h.log.text).toContain('Response Topic refused');

    // The same request with an allowed Response Topic runs: the refusal was not remembered.
    const request = { request_id, device_id: h.deviceId(), code: '705112' };
    await cloud.publish(`${ROOT}/request/access_codes/create`, JSON.stringify(request), {
      qos: 1,
      properties: { responseTopic: `${ROOT}/clients/cloud/1` },
    });
    const ran = await eventually(
      () => cloud.seen.find((s) => s.topic === `${ROOT}/clients/cloud/1` && s.text.includes(request_id)),
      10_000,
      'the answer on the allowed topic',
    );
    expect(JSON.parse(ran!.text)).toMatchObject({ ok: true, access_code: { code: '705112' } });
  });

  it('Home Assistant sees discovery and lock state and locks the door, but sends no request and reads no answer', async () => {
    const deviceId = h.deviceId();
    await homeAssistant.subscribe(['#']);
    const config = `homeassistant/device/lockbridge_${deviceId}/config`;
    await eventually(() => homeAssistant.seen.some((s) => s.topic === config), 10_000, 'discovery');
    const discovery = JSON.parse(homeAssistant.seen.find((s) => s.topic === config)!.text);
    // Its own status is taken: the bridge publishes discovery again.
    const configs = () => homeAssistant.seen.filter((s) => s.topic === config).length;
    const before = configs();
    await homeAssistant.publish('homeassistant/status', 'online', { qos: 0 });
    await eventually(() => configs() > before, 10_000, 'discovery again after online');
    // LOCK on the lock's command topic goes through.
    h.lock().lockState = 'unlocked';
    await homeAssistant.publish(discovery.components.lock.command_topic, 'LOCK', { qos: 0 });
    await eventually(() => h.lock().lockState === 'locked', 10_000, 'the lock locked');
    // No request, and no answer or PIN.
    const refused = await homeAssistant
      .publish(`${ROOT}/request/devices/list`, JSON.stringify({ request_id: 'ha-1' }))
      .then(
        () => 'accepted',
        (error: Error) => error.message,
      );
    expect(refused).toMatch(/Not authorized/i);
    await cloudRequest('access_codes/create', { device_id: deviceId, code: '305117' });
    expect(
      homeAssistant.seen.filter(
        (s) =>
          s.topic.includes('/response/') ||
          s.topic.includes('/clients/') ||
          s.topic.includes('/access_codes/'),
      ),
    ).toEqual([]);
    expect(homeAssistant.seen.some((s) => s.text.includes(PIN) || s.text.includes('305117'))).toBe(false);
    expect(h.log.text).not.toContain('broker did not take');
  });
});
