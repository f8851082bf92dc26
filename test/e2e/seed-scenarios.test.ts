// The seeds' scenarios end to end: MQTT requests to a real Mosquitto, the bridge, a simulated lock.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import { type E2e, startE2e } from './e2e-kit.ts';

let env: E2e | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Creates a code on the first lock over MQTT and waits for set_on_device; its id. */
async function createSet({ api, h }: E2e, code: string): Promise<string> {
  const { access_code } = await api.request('access_codes/create', { device_id: h.deviceId(), code });
  const id: string = access_code.access_code_id;
  await api.waitForEvent((e) => e.event_type === 'access_code.set_on_device' && e.access_code_id === id);
  return id;
}

describe('seed scenarios over MQTT', () => {
  it('create → setting, then set_on_device once the lock confirmed', async () => {
    env = await startE2e([{ name: 'Front door', latency_ms: 50 }]);
    const { api, h } = env;
    const created = await api.request('access_codes/create', {
      device_id: h.deviceId(),
      code: '482916',
      name: 'Guest',
    });
    expect(created.ok).toBe(true);
    expect(created.access_code).toMatchObject({
      code: '482916',
      name: 'Guest',
      status: 'setting',
      type: 'ongoing',
      is_managed: true,
    });
    const id = created.access_code.access_code_id;
    await api.waitForEvent((e) => e.event_type === 'access_code.set_on_device' && e.access_code_id === id);
    expect(h.lock().model.codeIn(h.lock().model.occupiedSlots()[0]!)).toBe('482916');
    const got = await api.request('access_codes/get', { access_code_id: id });
    expect(got.access_code.status).toBe('set');
    // The retained state carries the code without its PIN.
    await eventually(() => api.retained.get(`access_codes/${id}`)?.includes('"set"'), 5000, 'retained set');
    expect(api.retained.get(`access_codes/${id}`)).not.toContain('482916');
    expect(api.eventsOf('access_code.created', id)).toHaveLength(1);
  });

  it('update of name only: changed, no new write; update of code: changed, then set again with the new PIN', async () => {
    env = await startE2e([{ name: 'Front door', latency_ms: 50 }]);
    const { api, h } = env;
    const id = await createSet(env, '482916');
    const writes = h.lock().model.writeCount;

    expect(await api.request('access_codes/update', { access_code_id: id, name: 'Cleaner' })).toMatchObject({
      ok: true,
    });
    await api.waitForEvent((e) => e.event_type === 'access_code.changed' && e.access_code_id === id);
    expect((await api.request('access_codes/get', { access_code_id: id })).access_code).toMatchObject({
      name: 'Cleaner',
      status: 'set',
    });
    expect(h.lock().model.writeCount).toBe(writes);

    expect(await api.request('access_codes/update', { access_code_id: id, code: '613094' })).toMatchObject({
      ok: true,
    });
    await eventually(
      () => api.eventsOf('access_code.set_on_device', id).length === 2,
      5000,
      'second set_on_device',
    );
    const slot = h.lock().model.occupiedSlots()[0]!;
    expect(h.lock().model.codeIn(slot)).toBe('613094');
    expect(h.lock().model.occupiedSlots()).toHaveLength(1);
    expect(api.eventsOf('access_code.changed', id)).toHaveLength(2);
  });

  it('delete → pending action attempt → success; get answers access_code_not_found; removed_from_device', async () => {
    env = await startE2e([{ name: 'Front door', latency_ms: 150 }]);
    const { api, h } = env;
    const id = await createSet(env, '482916');

    const deleted = await api.request('access_codes/delete', { access_code_id: id });
    expect(deleted.action_attempt).toMatchObject({
      action_type: 'DELETE_ACCESS_CODE',
      status: 'pending',
      result: null,
      error: null,
    });
    const attemptId = deleted.action_attempt.action_attempt_id;

    const gone = await api.request('access_codes/get', { access_code_id: id });
    expect(gone).toMatchObject({
      ok: false,
      error: {
        type: 'access_code_not_found',
        message: 'Could not find an access_code with device_id or access_code_id',
        data: { access_code_id: id },
      },
    });
    await api.waitForEvent(
      (e) => e.event_type === 'access_code.removed_from_device' && e.access_code_id === id,
    );
    const attempt = await api.request('action_attempts/get', { action_attempt_id: attemptId });
    expect(attempt.action_attempt).toMatchObject({ status: 'success', error: null });
    expect(h.lock().model.occupiedSlots()).toEqual([]);
    expect(api.eventsOf('access_code.deleted', id)).toHaveLength(1);
    await eventually(
      () =>
        api.retained.get(`access_codes/${id}`) === undefined || api.retained.get(`access_codes/${id}`) === '',
      5000,
      'retained cleared',
    );
  });

  it('lists devices and codes; unknown device and code are reported as the spec says', async () => {
    env = await startE2e([{ name: 'Front door' }, { name: 'Back door' }]);
    const { api, h } = env;
    const devices = await api.request('devices/list');
    expect(devices.devices.map((d: { name: string }) => d.name).sort()).toEqual(['Back door', 'Front door']);
    expect(devices.devices[0].properties).toMatchObject({
      online: true,
      code_constraints: { min_code_length: 4, max_code_length: 8 },
    });
    await api.request('access_codes/create', { device_id: h.deviceId(1), code: '135790' });
    expect((await api.request('access_codes/list', { device_id: h.deviceId(1) })).access_codes).toHaveLength(
      1,
    );
    expect((await api.request('access_codes/list', { device_id: h.deviceId(0) })).access_codes).toHaveLength(
      0,
    );
    const missing = await api.request('devices/get', { device_id: '00000000-0000-4000-8000-000000000000' });
    expect(missing.error.type).toBe('device_not_found');
    const dup = await api.request('access_codes/create', { device_id: h.deviceId(1), code: '135790' });
    expect(dup.error.type).toBe('duplicate_access_code');
  });
});
