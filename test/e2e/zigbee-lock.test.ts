// Zigbee locks end to end: MQTT (real Mosquitto) → the bridge with the Zigbee driver from its
// configuration → herdsman's real Controller → the simulated coordinator → simulated door locks.
// Pairing, the seed scenarios, a keypad unlock, the coordinator lost and back, a lock leaving and
// joining again, removal, and a restart that reads only the managed slots.
import { afterEach, describe, expect, it } from 'vitest';
import { simLock } from '../../drivers/zigbee/simulator/lock-kinds.ts';
import type { SimDoorLock } from '../../drivers/zigbee/simulator/sim-door-lock.ts';
import { SimulatedZigbeeNetwork } from '../../drivers/zigbee/simulator/sim-network.ts';
import { type ApiBody, ApiClient, eventually } from '../helpers/api-client.ts';
import { Harness, ROOT } from '../helpers/bridge-harness.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { showsPin } from '../helpers/pins.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

const IEEE = '0x000d6f000a1b2c3d';
/** Every PIN these tests set or type: none may reach the log. */
const PINS = ['482916', '613094', '250715', '771203', '908172', '135791'];

interface Env {
  broker: Broker;
  network: SimulatedZigbeeNetwork;
  api: ApiClient;
  h: Harness;
}

function zigbeeYaml(network: SimulatedZigbeeNetwork): string {
  return [
    'zigbee:',
    '  adapter: zstack',
    `  port: ${network.path}`,
    '  response_timeout_ms: 600',
    `  names: { "${IEEE}": Back door }`,
  ].join('\n');
}

async function bridge(broker: Broker, network: SimulatedZigbeeNetwork, dataDir?: string): Promise<Harness> {
  const h = new Harness(null, {
    brokerUrl: broker.url,
    yaml: zigbeeYaml(network),
    ...(dataDir ? { dataDir } : {}),
  });
  cleanups.push(async () => {
    await h.stop().catch(() => undefined);
    if (!dataDir) h.cleanup();
  });
  await h.start();
  return h;
}

async function start(): Promise<Env> {
  const broker = await startMosquitto();
  cleanups.push(() => broker.stop());
  const network = new SimulatedZigbeeNetwork();
  cleanups.push(() => network.close());
  const h = await bridge(broker, network);
  const api = await ApiClient.connect(broker.url, ROOT);
  cleanups.push(() => api.close());
  return { broker, network, api, h };
}

/** permit_join over MQTT, the lock joins; resolves with its device once it is connected. */
async function pair({ api, network }: Env, sim: SimDoorLock): Promise<ApiBody> {
  const [added, connected] = [api.eventsOf('device.added').length, api.eventsOf('device.connected').length];
  expect(await api.request('zigbee/permit_join', { seconds: 60 })).toMatchObject({ ok: true });
  await eventually(() => network.permitJoinOpen, 5000, 'joining open');
  network.join(sim);
  await eventually(() => api.eventsOf('device.added').length > added, 10_000, 'device.added');
  await eventually(() => api.eventsOf('device.connected').length > connected, 10_000, 'device.connected');
  const deviceId = api.eventsOf('device.added').at(-1)!.device_id;
  return (await api.request('devices/get', { device_id: deviceId })).device;
}

/** Until the lock's first full read (the device's slot_read) is done. */
async function fullyRead(api: ApiClient, deviceId: string): Promise<void> {
  await eventually(
    async () =>
      (await api.request('devices/get', { device_id: deviceId })).device.properties.slot_read.complete,
    10_000,
    'the first full read',
  );
}

async function createSet(api: ApiClient, deviceId: string, code: string): Promise<string> {
  const { access_code } = await api.request('access_codes/create', { device_id: deviceId, code });
  const id: string = access_code.access_code_id;
  await api.waitForEvent((e) => e.event_type === 'access_code.set_on_device' && e.access_code_id === id);
  return id;
}

function noPinLogged(h: Harness): void {
  for (const pin of PINS) expect(showsPin(h.log.text, pin), `PIN ${pin} in the log`).toBe(false);
}

describe('a Zigbee lock over MQTT', () => {
  it('pairs (device.added), is read in full once, then: create, update, delete, keypad unlock with the access_code_id', async () => {
    const env = await start();
    const { api, network, h } = env;
    const sim = network.add(simLock('reads_back', IEEE, { users: 30 }));
    const device = await pair(env, sim);
    expect(device).toMatchObject({
      name: 'Back door',
      driver: 'zigbee',
      properties: {
        online: true,
        manufacturer: 'Yale',
        model: 'YRD256 TSDB',
        serial_number: IEEE,
        can_read_codes: true,
      },
    });
    const id = device.device_id;
    await fullyRead(api, id);
    expect(network.framesTo(IEEE, 'getPinCode')).toHaveLength(30);

    const code = await createSet(api, id, '482916');
    const slot = [...sim.users.entries()].find(([, u]) => u.pin === '482916')![0];
    await api.request('access_codes/update', { access_code_id: code, code: '613094' });
    await eventually(() => api.eventsOf('access_code.set_on_device', code).length === 2, 10_000, 'set again');
    expect(sim.user(slot)?.pin).toBe('613094');

    sim.enterCode('613094');
    const unlocked = await api.waitForEvent((e) => e.event_type === 'lock.unlocked');
    expect(unlocked).toMatchObject({
      device_id: id,
      access_code_id: code,
      method: 'keycode',
      access_code_is_managed: true,
    });
    sim.enterCode('135791');
    await api.waitForEvent((e) => e.event_type === 'lock.access_denied');

    const deleted = await api.request('access_codes/delete', { access_code_id: code });
    await api.waitForEvent(
      (e) => e.event_type === 'access_code.removed_from_device' && e.access_code_id === code,
    );
    const attempt = await api.request('action_attempts/get', {
      action_attempt_id: deleted.action_attempt.action_attempt_id,
    });
    expect(attempt.action_attempt.status).toBe('success');
    expect(sim.user(slot)).toBeUndefined();
    noPinLogged(h);
  });

  it('the coordinator lost and back: the lock is disconnected, then connected; a code made meanwhile is set; MQTT answers throughout', async () => {
    const env = await start();
    const { api, network, h } = env;
    const device = await pair(env, network.add(simLock('reads_back', IEEE, { users: 10 })));
    const id = device.device_id;
    network.unplug();
    await api.waitForEvent((e) => e.event_type === 'device.disconnected' && e.device_id === id);
    const { access_code } = await api.request('access_codes/create', { device_id: id, code: '250715' });
    expect(access_code.status).toBe('setting');
    expect((await api.request('zigbee/permit_join', { seconds: 10 })).error.type).toBe('zigbee_unavailable');
    network.replug();
    await api.waitForEvent(
      (e) =>
        e.event_type === 'device.connected' &&
        e.device_id === id &&
        api.eventsOf('device.connected').length === 2,
    );
    await api.waitForEvent(
      (e) => e.event_type === 'access_code.set_on_device' && e.access_code_id === access_code.access_code_id,
    );
    expect(h.log.text.match(/Zigbee coordinator lost/g)).toHaveLength(1);
    noPinLogged(h);
  });

  it('a lock that leaves keeps its codes and shows as removed; joining again it is the same device, read only where codes are', async () => {
    const env = await start();
    const { api, network } = env;
    const sim = network.add(simLock('reads_back', IEEE, { users: 20 }));
    const device = await pair(env, sim);
    const id = device.device_id;
    await fullyRead(api, id);
    await createSet(api, id, '771203');
    network.leave(sim);
    const removed = await api.waitForEvent((e) => e.event_type === 'device.removed');
    expect(removed.device_id).toBe(id);
    await api.waitForEvent((e) => e.event_type === 'device.disconnected' && e.device_id === id);
    expect((await api.request('access_codes/list', { device_id: id })).access_codes).toHaveLength(1);
    const gone = (await api.request('devices/get', { device_id: id })).device as {
      errors: Array<{ error_code: string }>;
    };
    expect(gone.errors.map((e) => e.error_code)).toEqual(['device_removed']);
    const reads = network.framesTo(IEEE, 'getPinCode').length;
    const again = await pair(env, sim);
    expect(again.device_id).toBe(id);
    expect((again as { errors: Array<{ error_code: string }> }).errors).not.toContainEqual(
      expect.objectContaining({ error_code: 'device_removed' }),
    );
    expect(api.eventsOf('device.added')).toHaveLength(2);
    await eventually(
      () => network.framesTo(IEEE, 'getPinCode').length > reads,
      10_000,
      'the managed slot read',
    );
    // Only the managed slot, not all 20.
    expect(network.framesTo(IEEE, 'getPinCode').length - reads).toBe(1);
  });

  it('a time-bound code on a lock with year-day schedules goes on ahead of its window, with its schedule: the lock enforces it', async () => {
    const env = await start();
    const { api, network } = env;
    const sim = network.add(simLock('year_day', IEEE, { users: 10 }));
    const device = await pair(env, sim);
    expect(device.properties.supports_native_scheduling).toBe(true);
    const starts = new Date(Date.now() + 86_400_000).toISOString();
    const ends = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const { access_code } = await api.request('access_codes/create', {
      device_id: device.device_id,
      code: '250715',
      starts_at: starts,
      ends_at: ends,
    });
    expect(access_code).toMatchObject({ type: 'time_bound', is_scheduled_on_device: true });
    await api.waitForEvent(
      (e) =>
        e.event_type === 'access_code.scheduled_on_device' && e.access_code_id === access_code.access_code_id,
    );
    const user = [...sim.users.values()].find((u) => u.pin === '250715')!;
    expect(user.type).toBe(1); // a year-day user: only within its schedule
    expect(user.schedule).not.toBeNull();
    await eventually(() => sim.hasClock, 5000, 'the lock has the time');
    sim.enterCode('250715');
    const denied = await api.waitForEvent((e) => e.event_type === 'lock.access_denied');
    expect(denied).toMatchObject({ access_code_id: access_code.access_code_id, reason: 'rejected_schedule' });
  });

  it('a write whose answer is lost is read back before anything is written again: set without a second setPinCode', async () => {
    const env = await start();
    const { api, network } = env;
    const sim = network.add(simLock('reads_back', IEEE, { users: 10 }));
    const device = await pair(env, sim);
    await fullyRead(api, device.device_id);
    sim.loseAnswer('setPinCode');
    const reads = network.framesTo(IEEE, 'getPinCode').length;
    await createSet(api, device.device_id, '908172');
    expect(network.framesTo(IEEE, 'setPinCode')).toHaveLength(1);
    expect(network.framesTo(IEEE, 'getPinCode').length - reads).toBe(1);
  });

  it('remove_device: a REMOVE_DEVICE attempt, the lock leaves (device.removed); its codes stay', async () => {
    const env = await start();
    const { api, network } = env;
    const sim = network.add(simLock('reads_back', IEEE, { users: 10 }));
    const device = await pair(env, sim);
    await createSet(api, device.device_id, '908172');
    const answer = await api.request('zigbee/remove_device', { device_id: device.device_id });
    expect(answer.action_attempt).toMatchObject({ action_type: 'REMOVE_DEVICE', status: 'pending' });
    await api.waitForEvent((e) => e.event_type === 'action_attempt.remove_device.succeeded');
    await api.waitForEvent((e) => e.event_type === 'device.removed' && e.device_id === device.device_id);
    await eventually(() => sim.nwk === null, 5000, 'the lock off the network');
    expect(
      (await api.request('access_codes/list', { device_id: device.device_id })).access_codes,
    ).toHaveLength(1);
  });
});

describe('a restart of the bridge', () => {
  it('reads only the slots it has codes in (3 of 40), never all of them again', async () => {
    const env = await start();
    const { api, network, broker } = env;
    const sim = network.add(simLock('reads_back', IEEE, { users: 40 }));
    const device = await pair(env, sim);
    await fullyRead(api, device.device_id);
    for (const code of ['482916', '613094', '250715']) await createSet(api, device.device_id, code);
    const dataDir = env.h.dataDir;
    await env.h.stop();
    const reads = network.framesTo(IEEE, 'getPinCode').length;
    const second = await bridge(broker, network, dataDir);
    cleanups.push(() => env.h.cleanup());
    await eventually(
      () => second.bridge.store.devices.get(device.device_id)?.online,
      10_000,
      'online after the restart',
    );
    await eventually(
      () => network.framesTo(IEEE, 'getPinCode').length - reads >= 3,
      10_000,
      'managed slots read',
    );
    // A code made now goes to a slot not read since the restart: read first, then written.
    await createSet(api, device.device_id, '771203');
    expect(network.framesTo(IEEE, 'getPinCode').length - reads).toBe(4);
    expect(network.framesTo(IEEE, 'setPinCode')).toHaveLength(4);
  });
});
