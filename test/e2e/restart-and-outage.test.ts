// Restarts of the bridge and of the broker: nothing acknowledged is lost, nothing right is rewritten,
// every event made while the broker was down reaches it afterwards.
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, eventually } from '../helpers/api-client.ts';
import { Harness, ROOT, simulatedDriver } from '../helpers/bridge-harness.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

async function broker(persistence = false): Promise<Broker> {
  const b = await startMosquitto({ persistence });
  cleanups.push(() => b.stop());
  return b;
}

async function bridge(
  driver: ReturnType<typeof simulatedDriver>,
  brokerUrl: string,
  dataDir?: string,
  yaml?: string,
): Promise<Harness> {
  const h = new Harness(driver, { brokerUrl, ...(dataDir ? { dataDir } : {}), ...(yaml ? { yaml } : {}) });
  cleanups.push(async () => {
    await h.stop().catch(() => undefined);
    h.cleanup();
  });
  await h.startOnline();
  return h;
}

async function client(url: string): Promise<ApiClient> {
  const api = await ApiClient.connect(url, ROOT);
  cleanups.push(() => api.close());
  return api;
}

describe('a restart of the bridge', () => {
  it('in the middle of programming: the write whose answer was lost is found on the lock, not written again', async () => {
    const b = await broker();
    const driver = simulatedDriver([{ name: 'Front door', latency_ms: 30 }]);
    // The retry after the lost answer is far off: the restart comes first.
    const first = await bridge(
      driver,
      b.url,
      undefined,
      'timing: { retry_base_ms: 60000, retry_max_ms: 60000 }',
    );
    const api = await client(b.url);
    const lock = driver.locks[0]!;
    lock.dropConfirmation(1); // the lock stores the PIN but its answer never arrives
    const created = await api.request('access_codes/create', { device_id: first.deviceId(), code: '482916' });
    const id = created.access_code.access_code_id;
    await eventually(() => lock.model.writeCount === 1, 5000, 'write reached the lock');
    await first.stop();

    const second = await bridge(driver, b.url, first.dataDir);
    await api.waitForEvent((e) => e.event_type === 'access_code.set_on_device' && e.access_code_id === id);
    expect(lock.model.writeCount).toBe(1);
    expect((await api.request('access_codes/get', { access_code_id: id })).access_code.status).toBe('set');
    expect(second.bridge.store.codes.liveForDevice(second.deviceId())).toHaveLength(1);
  });

  it('leaves codes it knows are set alone: no clearing and re-setting at start', async () => {
    const b = await broker();
    const driver = simulatedDriver([{ name: 'Front door', latency_ms: 10 }]);
    const first = await bridge(driver, b.url);
    const api = await client(b.url);
    for (const code of ['482916', '613094', '750128']) {
      await api.request('access_codes/create', { device_id: first.deviceId(), code });
    }
    await eventually(() => api.eventsOf('access_code.set_on_device').length === 3, 5000, 'three set');
    await first.stop();
    const lock = driver.locks[0]!;
    const before = { writes: lock.model.writeCount, clears: lock.model.clearCount };

    const second = await bridge(driver, b.url, first.dataDir);
    await eventually(
      () => second.bridge.store.devices.get(second.deviceId())?.slots_read_at,
      5000,
      'slots read',
    );
    await new Promise((r) => setTimeout(r, 300)); // let a wrongly eager reconciler act, if it would
    expect({ writes: lock.model.writeCount, clears: lock.model.clearCount }).toEqual(before);
  });

  it('answers a request_id it already answered with the stored response, across a restart', async () => {
    const b = await broker();
    const driver = simulatedDriver([{ name: 'Front door' }]);
    const first = await bridge(driver, b.url);
    const api = await client(b.url);
    const once = await api.request('access_codes/create', {
      request_id: 'order-17',
      device_id: first.deviceId(),
      code: '482916',
    });
    await first.stop();
    const second = await bridge(driver, b.url, first.dataDir);
    const again = await api.request('access_codes/create', {
      request_id: 'order-17',
      device_id: second.deviceId(),
      code: '482916',
    });
    expect(again).toEqual(once);
    expect(
      (await api.request('access_codes/list', { device_id: second.deviceId() })).access_codes,
    ).toHaveLength(1);
  });
});

describe('a restart of the broker', () => {
  it('delivers every event made while it was down, once it is back', async () => {
    const b = await broker(true);
    const driver = simulatedDriver([{ name: 'Front door', latency_ms: 10 }]);
    const h = await bridge(driver, b.url);
    const api = await client(b.url);
    await api.request('devices/list');
    const made: string[] = [];
    await b.restart(async () => {
      const since = Date.now();
      for (const code of ['482916', '613094']) {
        const created = await h.call('access_codes/create', { device_id: h.deviceId(), code });
        expect(created.ok).toBe(true);
      }
      await eventually(
        () => driver.locks[0]!.model.occupiedSlots().length === 2,
        5000,
        'codes set while the broker is down',
      );
      driver.locks[0]!.enterCode('482916');
      await eventually(
        () =>
          h.bridge.store.events.list({ since: 0, limit: 1000 }).some((e) => e.event_type === 'lock.unlocked'),
        5000,
      );
      for (const e of h.bridge.store.events.list({ since: since - 1, limit: 1000 })) made.push(e.event_id);
    });
    expect(made.length).toBeGreaterThanOrEqual(5); // 2 created, 2 set_on_device, 1 unlocked
    await eventually(
      () => made.every((id) => api.events.some((e) => e.event_id === id)),
      15_000,
      'every outage event delivered',
    );
  });
});
