// Home Assistant through a real Mosquitto, as Home Assistant sees it: discovery (valid by its
// schema), a LOCK on the lock's command topic locks the lock and the state topic says LOCKING then
// LOCKED, battery / connectivity / jammed / code counts follow the lock, keypad use arrives as
// events, everything is published again when Home Assistant says `online`, a retained command is
// never carried out, and a removed lock's entities are removed.
import { afterEach, expect, it } from 'vitest';
import { lockTopics } from '../../src/transports/mqtt/homeassistant/discovery.ts';
import { eventually } from '../helpers/api-client.ts';
import { Harness, ROOT, releaseAll, simulatedDriver } from '../helpers/bridge-harness.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { showsPin } from '../helpers/pins.ts';
import { DISCOVERY_TOPIC, deviceDiscovery } from '../transports/homeassistant/ha-schema.ts';
import { Watcher } from '../transports/support.ts';

const harnesses: Harness[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await releaseAll(harnesses);
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

async function setUp(yaml = '') {
  const broker: Broker = await startMosquitto();
  cleanups.push(() => broker.stop());
  // Home Assistant: discovery, the bridge's state, and every lock's topics.
  const ha = await Watcher.start(broker.url, ['homeassistant/#', `${ROOT}/ha/#`, `${ROOT}/bridge/#`]);
  cleanups.push(() => ha.stop());
  const h = new Harness(simulatedDriver([{ name: 'Front door', latency_ms: 150 }]), {
    brokerUrl: broker.url,
    yaml,
  });
  harnesses.push(h);
  await h.startOnline();
  const deviceId = h.deviceId();
  const own = lockTopics(deviceId);
  const config = `homeassistant/device/lockbridge_${deviceId}/config`;
  const last = (topic: string) => ha.on(topic).at(-1)?.text;
  const state = () => JSON.parse(last(`${ROOT}/${own.state}`) ?? 'null');
  await eventually(
    () => ha.on(config).length > 0 && state()?.connectivity === 'ON',
    10_000,
    'discovery and state',
  );
  return { broker, ha, h, deviceId, own, config, last, state };
}

it('discovers the lock, and LOCK / UNLOCK on its command topic move the lock through the API', async () => {
  const { broker, ha, h, deviceId, own, config, last, state } = await setUp();
  const discovery = JSON.parse(last(config)!);
  expect(deviceDiscovery.safeParse(discovery).error?.issues ?? []).toEqual([]);
  // Retained: Home Assistant starting later finds it.
  const later = await Watcher.start(broker.url, [config]);
  cleanups.push(() => later.stop());
  expect((await later.next(config)).packet.retain).toBe(true);
  const hub = ha.seen.find((s) => s.topic === 'homeassistant/device/lockbridge_test-hub/config');
  expect(deviceDiscovery.safeParse(JSON.parse(hub!.text)).success).toBe(true);
  for (const s of ha.seen.filter((m) => m.topic.endsWith('/config')))
    expect(s.topic).toMatch(DISCOVERY_TOPIC);
  expect(discovery.components.lock.command_topic).toBe(`${ROOT}/${own.command}`);

  h.lock().lockState = 'unlocked';
  await ha.publish(`${ROOT}/${own.command}`, 'UNLOCK', { qos: 0 });
  await eventually(() => state()?.lock === 'UNLOCKED', 10_000, 'UNLOCKED');
  await ha.publish(`${ROOT}/${own.command}`, 'LOCK', { qos: 0 });
  await eventually(() => state()?.lock === 'LOCKED', 10_000, 'LOCKED');
  expect(h.lock().lockState).toBe('locked');
  const locks = ha.on(`${ROOT}/${own.state}`).map((s) => JSON.parse(s.text).lock);
  // The lock takes 150 ms to answer: Home Assistant sees the action pending, then its result.
  expect(locks.slice(locks.lastIndexOf('UNLOCKING'))).toEqual(
    expect.arrayContaining(['UNLOCKING', 'UNLOCKED']),
  );
  const fromLocking = locks.slice(locks.lastIndexOf('LOCKING'));
  expect(fromLocking[0]).toBe('LOCKING');
  expect(fromLocking.at(-1)).toBe('LOCKED');
  // Through the API: each action attempt is in the store, and its events went out.
  const attempts = h.bridge.store.events
    .list({ since: 0, limit: 100 })
    .filter((e) => e.event_type.startsWith('action_attempt.') && e.device_id === deviceId)
    .map((e) => e.event_type);
  expect(attempts).toEqual(['action_attempt.unlock_door.succeeded', 'action_attempt.lock_door.succeeded']);

  // Nonsense and retained commands do nothing (a retained LOCK would move the door at every restart).
  await ha.publish(`${ROOT}/${own.command}`, 'OPEN_SESAME', { qos: 0 });
  await ha.publish(`${ROOT}/${own.command}`, 'UNLOCK', { qos: 0, retain: true });
  await eventually(
    () => h.log.text.includes('ignored a retained Home Assistant lock command'),
    10_000,
    'the retained command refused',
  );
  expect(h.log.text).toContain('ignored an unknown Home Assistant lock command');
  expect(h.lock().lockState).toBe('locked');
  await ha.publish(`${ROOT}/${own.command}`, '', { qos: 0, retain: true }); // clear it from the broker
}, 60_000);

it('battery, connectivity, jammed and code counts follow the lock; keypad use arrives as events', async () => {
  const { ha, h, deviceId, own, config, state } = await setUp();
  const configsAtStart = ha.on(config).length;
  h.lock().setBattery(0.42);
  await eventually(() => state()?.battery === 42, 10_000, 'battery 42');
  const listings = () =>
    h.log.text
      .split('\n')
      .filter((l) => l.includes('"route":"access_codes/list"') && l.includes('"msg":"request"')).length;
  const listedBefore = listings();

  const created = await h.call('access_codes/create', { device_id: deviceId, code: '482916', name: 'Guest' });
  await eventually(() => state()?.codes_set === 1 && state()?.codes_pending === 0, 10_000, 'one code set');
  h.lock().refuseNext('no_space');
  await h.call('access_codes/create', { device_id: deviceId, code: '613094' });
  await eventually(() => state()?.codes_failed === 1, 10_000, 'one code failed');
  expect(state()).toMatchObject({ codes_set: 1, codes_pending: 0, codes_failed: 1 });
  const pendingSeen = ha.on(`${ROOT}/${own.state}`).some((s) => JSON.parse(s.text).codes_pending > 0);
  expect(pendingSeen).toBe(true); // each code was pending before the lock answered

  h.lock().enterCode('482916');
  h.lock().enterCode('000000');
  await eventually(() => ha.on(`${ROOT}/${own.event}`).length >= 2, 10_000, 'two keypad events');
  const events = ha.on(`${ROOT}/${own.event}`);
  expect(events.map((e) => JSON.parse(e.text))).toEqual([
    {
      event_type: 'code_used',
      access_code_id: created.access_code.access_code_id,
      access_code_is_managed: true,
      access_code_name: 'Guest',
    },
    { event_type: 'wrong_code', reason: 'wrong_code', attempts: 1 },
  ]);
  expect(events.every((e) => !e.packet.retain)).toBe(true);

  h.lock().jam();
  await eventually(() => state()?.lock === 'JAMMED', 10_000, 'JAMMED');
  h.lock().setOffline(true);
  await eventually(() => state()?.connectivity === 'OFF', 10_000, 'connectivity OFF');

  // The counts moved one code at a time: no code was listed again as they changed.
  expect(listings()).toBe(listedBefore);
  // Every change above made a new device record; none changed the discovery payload, so none
  // published it again.
  expect(ha.on(config).length).toBe(configsAtStart);
  for (const pin of ['482916', '613094']) expect(showsPin(h.log.text, pin), pin).toBe(false);
}, 60_000);

it("publishes everything again when Home Assistant comes online, and removes a removed lock's entities", async () => {
  const { broker, ha, h, own, config } = await setUp();
  const configs = () => ha.on(config).length;
  const before = configs();
  await ha.publish('homeassistant/status', 'online', { qos: 0 });
  await eventually(() => configs() > before, 10_000, 'discovery published again');
  expect(ha.on('homeassistant/device/lockbridge_test-hub/config').length).toBeGreaterThanOrEqual(2);

  // The lock leaves its network, as a Zigbee lock does (zigbee/remove_device): the simulated
  // lock's handle says so the way the Zigbee driver's does.
  h.lock().emit('removed', 'left the network');
  await eventually(() => ha.on(config).at(-1)?.text === '', 10_000, 'the empty config');
  expect(ha.on(`${ROOT}/${own.state}`).at(-1)?.text).toBe('');
  // The device stays in the API (its codes do), shown as removed; Home Assistant coming online
  // again does not bring the entities back.
  const published = configs();
  await ha.publish('homeassistant/status', 'online', { qos: 0 });
  await eventually(() => configs() > published, 10_000, 'discovery published again');
  expect(ha.on(config).at(-1)?.text).toBe('');
  // Home Assistant starting later finds no retained config for it: the entities are gone.
  const later = await Watcher.start(broker.url, ['homeassistant/#']);
  cleanups.push(() => later.stop());
  await later.next('homeassistant/device/lockbridge_test-hub/config');
  expect(later.on(config)).toEqual([]);
}, 60_000);

it('publishes nothing for Home Assistant when it is turned off', async () => {
  const broker: Broker = await startMosquitto();
  cleanups.push(() => broker.stop());
  const ha = await Watcher.start(broker.url, ['homeassistant/#', `${ROOT}/ha/#`, `${ROOT}/bridge/info`]);
  cleanups.push(() => ha.stop());
  const h = new Harness(simulatedDriver([{ name: 'Front door' }]), {
    brokerUrl: broker.url,
    yaml: 'homeassistant: { enabled: false }',
  });
  harnesses.push(h);
  await h.startOnline();
  await ha.next(`${ROOT}/bridge/info`); // the bridge is publishing
  expect(
    ha.seen.filter((s) => s.topic.startsWith('homeassistant/') || s.topic.startsWith(`${ROOT}/ha/`)),
  ).toEqual([]);
}, 60_000);
