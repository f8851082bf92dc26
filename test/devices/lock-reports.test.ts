// What a lock reports unprompted becomes device state and events: keypad use with the code's id,
// wrong PINs as lock.access_denied, battery, the door.
import { afterEach, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import { type Harness, releaseAll, startedHarness } from '../helpers/bridge-harness.ts';

const harnesses: Harness[] = [];
afterEach(() => releaseAll(harnesses));

const started = () => startedHarness(harnesses);

const events = (h: Harness, type: string) =>
  h.bridge.store.events.list({ since: 0, event_types: [type], limit: 100 });

it('a code used at the keypad is lock.unlocked with its access_code_id; a wrong PIN is lock.access_denied', async () => {
  const h = await started();
  const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '482916' });
  const id = { access_code_id: access_code.access_code_id };
  await eventually(async () => (await h.call('access_codes/get', id)).access_code.status === 'set');
  h.lock().enterCode('482916');
  await eventually(() => events(h, 'lock.unlocked').length === 1, 5000, 'lock.unlocked');
  expect(events(h, 'lock.unlocked')[0]).toMatchObject({
    access_code_id: access_code.access_code_id,
    method: 'keycode',
    access_code_is_managed: true,
  });
  expect(h.bridge.store.devices.get(h.deviceId())?.locked).toBe(false);

  h.lock().enterCode('000111');
  h.lock().enterCode('000222');
  await eventually(() => events(h, 'lock.access_denied').length === 2, 5000, 'lock.access_denied');
  expect(events(h, 'lock.access_denied').map((e) => [e.reason, e.attempts, e.method])).toEqual([
    ['wrong_code', 1, 'keycode'],
    ['wrong_code', 2, 'keycode'],
  ]);
  expect(events(h, 'lock.access_denied')[0]).not.toHaveProperty('access_code_id');
});

it('battery reports: battery_status_changed each change, low_battery once when it falls under 20 %', async () => {
  const h = await started();
  for (const level of [0.5, 0.5, 0.15, 0.1]) h.lock().setBattery(level);
  await eventually(() => events(h, 'device.battery_status_changed').length === 3, 5000, 'battery events');
  expect(events(h, 'device.low_battery').map((e) => e.battery_level)).toEqual([0.15]);
  expect(h.bridge.store.devices.get(h.deviceId())?.battery_level).toBe(0.1);
});
