// The seed scenarios end to end on a lockwire lock: MQTT (real Mosquitto) → bridge with the serial
// driver from its configuration → the real serialport binding on a socat pty → the lock simulator.
import { afterEach, expect, it } from 'vitest';
import type { LockSimulator } from '../../drivers/serial/simulator/lock-simulator.ts';
import { ApiClient, eventually } from '../helpers/api-client.ts';
import { Harness, ROOT } from '../helpers/bridge-harness.ts';
import { lockwireLock } from '../helpers/lockwire-lock.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

/**
 * The bridge with one lockwire lock, online. `prepare` sets the simulator up before the bridge
 * first talks to it; `serial` adds to the lock's serial settings.
 */
async function serialBridge(
  options: { serialNumber?: string; serial?: string; prepare?: (sim: LockSimulator) => void } = {},
) {
  const broker: Broker = await startMosquitto();
  cleanups.push(() => broker.stop());
  const { pty, sim } = await lockwireLock(options.serialNumber ?? 'LK-E2E-1', cleanups);
  options.prepare?.(sim);
  const extra = options.serial ? `, ${options.serial}` : '';
  const h = new Harness(null, {
    brokerUrl: broker.url,
    yaml: `locks:\n  - name: Front door\n    driver: serial\n    serial: { path: ${pty.hostPath}${extra} }\n`,
  });
  await h.start();
  cleanups.push(async () => {
    await h.stop();
    h.cleanup();
  });
  const api = await ApiClient.connect(broker.url, ROOT);
  cleanups.push(() => api.close());
  const device = await eventually(
    async () => {
      const list = await api.request('devices/list');
      return list.devices.find((d: { properties: { online: boolean } }) => d.properties.online);
    },
    10_000,
    'serial lock online',
  );
  return { api, sim, device, h };
}

it('create → set_on_device, update code and name, delete → pending → success, on a lockwire lock', async () => {
  const { api, sim, device } = await serialBridge();
  expect(device).toMatchObject({
    driver: 'serial',
    properties: { serial_number: 'LK-E2E-1', can_read_codes: true },
  });

  const created = await api.request('access_codes/create', {
    device_id: device.device_id,
    code: '482916',
    name: 'Guest',
  });
  expect(created.access_code.status).toBe('setting');
  const id = created.access_code.access_code_id;
  await api.waitForEvent((e) => e.event_type === 'access_code.set_on_device' && e.access_code_id === id);
  const slot = sim.model.slotWithCode('482916')!;
  expect(slot).not.toBeNull();

  await api.request('access_codes/update', { access_code_id: id, name: 'Cleaner', code: '613094' });
  await eventually(() => api.eventsOf('access_code.set_on_device', id).length === 2, 10_000, 'set again');
  expect(sim.model.codeIn(slot)).toBe('613094');
  expect((await api.request('access_codes/get', { access_code_id: id })).access_code).toMatchObject({
    name: 'Cleaner',
    status: 'set',
  });

  sim.enterCode('613094');
  const used = await api.waitForEvent((e) => e.event_type === 'lock.unlocked' && e.access_code_id === id);
  expect(used).toMatchObject({ method: 'keycode' });

  const deleted = await api.request('access_codes/delete', { access_code_id: id });
  expect(deleted.action_attempt.status).toBe('pending');
  expect((await api.request('access_codes/get', { access_code_id: id })).error.type).toBe(
    'access_code_not_found',
  );
  await api.waitForEvent(
    (e) => e.event_type === 'access_code.removed_from_device' && e.access_code_id === id,
  );
  expect(sim.model.occupiedSlots()).toEqual([]);
  const attempt = await api.request('action_attempts/get', {
    action_attempt_id: deleted.action_attempt.action_attempt_id,
  });
  expect(attempt.action_attempt.status).toBe('success');
}, 60_000);

it('a time-bound code on a lockwire lock with schedules: written with its window, scheduled_on_device, not rewritten after a reboot', async () => {
  const { api, sim, device, h } = await serialBridge();
  const writes: number[] = [];
  sim.on('executed', (request) => {
    if (request.type === 'write_slot') writes.push(Date.now());
  });
  const starts = Date.now() + 86_400_000 + 123; // milliseconds the lock cannot keep
  const created = await api.request('access_codes/create', {
    device_id: device.device_id,
    code: '482916',
    starts_at: new Date(starts).toISOString(),
    ends_at: new Date(starts + 86_400_000).toISOString(),
  });
  const id = created.access_code.access_code_id;
  expect(created.access_code.is_scheduled_on_device).toBe(true);
  await api.waitForEvent(
    (e) => e.event_type === 'access_code.scheduled_on_device' && e.access_code_id === id,
  );
  const slot = sim.model.slotWithCode('482916')!;
  expect(sim.model.slot(slot).schedule).toEqual({
    starts_at: Math.floor(starts / 1000) * 1000,
    ends_at: Math.ceil((starts + 86_400_000) / 1000) * 1000, // the lock keeps the code to the end
  });
  expect((await api.request('access_codes/get', { access_code_id: id })).access_code.status).toBe('unset');
  expect(writes).toHaveLength(1);

  const readAt = () => h.bridge.store.devices.get(device.device_id)?.slots_read_at ?? 0;
  const before = readAt();
  sim.reboot(false);
  await eventually(() => readAt() > before, 10_000, 'slots read again after the reboot');
  await new Promise((r) => setTimeout(r, 500));
  expect(writes).toHaveLength(1);
}, 60_000);

it('on a lockwire lock: a code programmed at the keypad is unmanaged, converted; a one-time code works once', async () => {
  const { api, sim, device } = await serialBridge();
  sim.keypadProgram(7, '246802');
  const found = await api.waitForEvent((e) => e.event_type === 'access_code.unmanaged.created');
  const listed = await api.request('access_codes/unmanaged/list', { device_id: device.device_id });
  expect(listed.access_codes).toMatchObject([
    { access_code_id: found.access_code_id, code: '246802', is_managed: false },
  ]);
  const converted = await api.request('access_codes/unmanaged/convert_to_managed', {
    access_code_id: found.access_code_id,
  });
  expect(converted.action_attempt.status).toBe('success');
  expect(
    (await api.request('access_codes/get', { access_code_id: found.access_code_id })).access_code.status,
  ).toBe('set');

  const once = await api.request('access_codes/create', {
    device_id: device.device_id,
    code: '613094',
    is_one_time_use: true,
  });
  const id = once.access_code.access_code_id;
  await api.waitForEvent((e) => e.event_type === 'access_code.set_on_device' && e.access_code_id === id);
  sim.enterCode('613094');
  await api.waitForEvent((e) => e.event_type === 'access_code.deleted' && e.access_code_id === id);
  expect(sim.model.slotWithCode('613094')).toBeNull();
  expect(api.eventsOf('lock.unlocked', id)).toHaveLength(1);
  expect(sim.model.codeIn(7)).toBe('246802'); // the converted code stays
}, 60_000);

it('a lockwire lock whose firmware sends oversize SLOTS frames is read with fewer slots at a time: no flapping, one warning, the code gets set', async () => {
  const { api, sim, device, h } = await serialBridge({
    serialNumber: 'LK-E2E-2',
    serial: 'response_timeout_ms: 100',
    prepare: (lock) => {
      lock.model.write(17, '24680246', null, 'keypad'); // read through the fallback, or not seen at all
      lock.faults.oversizeSlotsAbove = 5; // READ_SLOTS of 16 and 8 slots: a frame past 245 bytes, dropped
    },
  });

  const created = await api.request('access_codes/create', {
    device_id: device.device_id,
    code: '482916',
    name: 'Guest',
  });
  const id = created.access_code.access_code_id;
  await api.waitForEvent((e) => e.event_type === 'access_code.set_on_device' && e.access_code_id === id);
  expect(sim.model.slotWithCode('482916')).not.toBeNull();
  const unmanaged = await api.request('access_codes/unmanaged/list', { device_id: device.device_id });
  expect(unmanaged.access_codes).toMatchObject([{ code: '24680246', is_managed: false }]);

  await new Promise((r) => setTimeout(r, 500)); // the old flapping came back every two seconds or so
  const lines = h.log.text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { msg: string; level: number });
  const said = (text: string) => lines.filter((line) => line.msg.includes(text));
  expect(said('lock offline')).toHaveLength(0);
  expect(said('lock does not answer; probing')).toHaveLength(0);
  expect(said('reading the slots failed')).toHaveLength(0);
  expect(said('the lock does not answer READ_SLOTS of 16 slots; reading 4 at a time')).toHaveLength(1);
  expect(h.log.text).not.toMatch(/\b(482916|24680246)\b/); // no PIN in the log
}, 60_000);
