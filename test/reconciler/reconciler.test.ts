// The reconciler against real simulated locks and a real store, through the API routes (no MQTT:
// the transport has its own tests, and the end-to-end ones go through Mosquitto).
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import { Harness, releaseAll, type SimLockSpec, simulatedDriver } from '../helpers/bridge-harness.ts';

const harnesses: Harness[] = [];
async function startBridge(specs: SimLockSpec[], yaml = ''): Promise<Harness> {
  const h = new Harness(simulatedDriver(specs), { yaml });
  harnesses.push(h);
  await h.startOnline();
  return h;
}
afterEach(() => releaseAll(harnesses));

const status = async (h: Harness, id: string) =>
  (await h.call('access_codes/get', { access_code_id: id })).access_code;
const eventTypes = (h: Harness, id: string) =>
  h.bridge.store.events.list({ since: 0, access_code_id: id, limit: 1000 }).map((e) => e.event_type);

describe('reconciler', () => {
  it('programs a code, and "set" comes only after the lock confirmed it', async () => {
    const h = await startBridge([{ name: 'Front', latency_ms: 200 }]);
    const created = await h.call('access_codes/create', {
      device_id: h.deviceId(),
      code: '482916',
      name: 'Guest',
    });
    expect(created.ok).toBe(true);
    expect(created.access_code.status).toBe('setting');
    expect(h.lock().model.occupiedSlots()).toEqual([]);
    await eventually(
      async () => (await status(h, created.access_code.access_code_id)).status === 'set',
      5000,
      'set',
    );
    expect(h.lock().model.occupiedSlots()).toHaveLength(1);
    expect(h.lock().model.codeIn(h.lock().model.occupiedSlots()[0]!)).toBe('482916');
    expect(eventTypes(h, created.access_code.access_code_id)).toEqual([
      'access_code.created',
      'access_code.set_on_device',
    ]);
  });

  it('several updates while the lock is busy cost one write of the last PIN', async () => {
    const h = await startBridge([{ name: 'Front', latency_ms: 300 }]);
    const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '111999' });
    await eventually(async () => (await status(h, access_code.access_code_id)).status === 'set', 5000);
    const before = h.lock().model.writeCount;
    h.lock().slowNext(600, 1);
    await h.call('locks/lock_door', { device_id: h.deviceId() }); // keeps the lock busy
    for (const code of ['222888', '333777', '444666', '555444']) {
      expect(
        (await h.call('access_codes/update', { access_code_id: access_code.access_code_id, code })).ok,
      ).toBe(true);
    }
    await eventually(async () => (await status(h, access_code.access_code_id)).status === 'set', 5000);
    expect(h.lock().model.writeCount - before).toBe(1);
    expect(h.lock().model.codeIn(h.lock().model.occupiedSlots()[0]!)).toBe('555444');
  });

  it('retries transient refusals with backoff until the lock confirms', async () => {
    const h = await startBridge([{ name: 'Front' }]);
    h.lock().refuseNext('busy', 3);
    const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '902817' });
    await eventually(async () => (await status(h, access_code.access_code_id)).status === 'set', 5000);
    expect(h.lock().model.writeCount).toBe(1);
  });

  it('a permanent refusal ends in failed_to_set with the specific error and no retry loop', async () => {
    const h = await startBridge([{ name: 'Front', options: { can_read_codes: false } }]);
    h.lock().keypadProgram(4, '731905'); // a PIN the bridge cannot see
    const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '731905' });
    const failed = await eventually(async () => {
      const c = await status(h, access_code.access_code_id);
      return c.errors.length > 0 ? c : null;
    }, 5000);
    expect(failed.errors[0].error_code).toBe('duplicate_code_on_device');
    expect(failed.errors[0].message).toContain('slot 4');
    expect(failed.errors[0].message).not.toContain('731905');
    expect(eventTypes(h, access_code.access_code_id)).toContain('access_code.failed_to_set_on_device');
    const attempts = h.lock().model.writeCount;
    await new Promise((r) => setTimeout(r, 300));
    expect(h.lock().model.writeCount).toBe(attempts);
  });

  it('delete: get answers not found at once, the attempt stays pending until the slot is clear', async () => {
    const h = await startBridge([{ name: 'Front', latency_ms: 100 }]);
    const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '640213' });
    await eventually(async () => (await status(h, access_code.access_code_id)).status === 'set', 5000);
    h.lock().setOffline(true);
    const deleted = await h.call('access_codes/delete', { access_code_id: access_code.access_code_id });
    expect(deleted.action_attempt).toMatchObject({
      status: 'pending',
      action_type: 'DELETE_ACCESS_CODE',
      result: null,
      error: null,
    });
    const missing = await h.call('access_codes/get', { access_code_id: access_code.access_code_id });
    expect(missing.error).toMatchObject({
      type: 'access_code_not_found',
      message: 'Could not find an access_code with device_id or access_code_id',
      data: { access_code_id: access_code.access_code_id },
    });
    await new Promise((r) => setTimeout(r, 200));
    const attemptId = deleted.action_attempt.action_attempt_id;
    expect(
      (await h.call('action_attempts/get', { action_attempt_id: attemptId })).action_attempt.status,
    ).toBe('pending');
    expect(h.lock().model.occupiedSlots()).toHaveLength(1);
    h.lock().setOffline(false);
    await eventually(
      async () =>
        (await h.call('action_attempts/get', { action_attempt_id: attemptId })).action_attempt.status ===
        'success',
      5000,
    );
    expect(h.lock().model.occupiedSlots()).toEqual([]);
    expect(eventTypes(h, access_code.access_code_id)).toEqual([
      'access_code.created',
      'access_code.set_on_device',
      'access_code.deleted',
      'access_code.removed_from_device',
      'action_attempt.delete_access_code.succeeded',
    ]);
  });

  it('a code that was never on the lock is deleted at once, without removed_from_device', async () => {
    const h = await startBridge([{ name: 'Front' }]);
    h.lock().setOffline(true);
    await eventually(() => !h.bridge.store.devices.get(h.deviceId())!.online, 2000);
    const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '640213' });
    const deleted = await h.call('access_codes/delete', { access_code_id: access_code.access_code_id });
    expect(deleted.action_attempt.status).toBe('success');
    expect(eventTypes(h, access_code.access_code_id)).not.toContain('access_code.removed_from_device');
  });

  it('an unreachable lock gets device_offline and device.disconnected; work resumes when it is back', async () => {
    const h = await startBridge([{ name: 'Front' }]);
    h.lock().setOffline(true);
    await eventually(() => !h.bridge.store.devices.get(h.deviceId())!.online, 2000);
    const device = (await h.call('devices/get', { device_id: h.deviceId() })).device;
    expect(device.errors.map((e: { error_code: string }) => e.error_code)).toEqual(['device_offline']);
    const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '285047' });
    await new Promise((r) => setTimeout(r, 100));
    expect((await status(h, access_code.access_code_id)).status).toBe('setting');
    h.lock().setOffline(false);
    await eventually(async () => (await status(h, access_code.access_code_id)).status === 'set', 5000);
    const types = h.bridge.store.events
      .list({ since: 0, device_id: h.deviceId(), limit: 100 })
      .map((e) => e.event_type);
    expect(types).toContain('device.disconnected');
    expect(types.lastIndexOf('device.connected')).toBeGreaterThan(types.indexOf('device.disconnected'));
  });

  it('a new PIN that never reached a lock gone offline is not mistaken for a change at the keypad', async () => {
    const h = await startBridge([{ name: 'Front', latency_ms: 20 }]);
    const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '482916' });
    const id = access_code.access_code_id;
    await eventually(async () => (await status(h, id)).status === 'set', 5000, 'set');
    // The rewrite is sent, and the lock drops off the air before it answers: the write never landed.
    h.lock().slowNext(400, 1);
    expect((await h.call('access_codes/update', { access_code_id: id, code: '593027' })).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    h.lock().setOffline(true);
    await eventually(() => !h.bridge.store.devices.get(h.deviceId())!.online, 2000, 'offline');
    expect(h.lock().model.codeIn(h.lock().model.occupiedSlots()[0]!)).toBe('482916');
    h.lock().setOffline(false);
    await eventually(async () => (await status(h, id)).status === 'set', 5000, 'set again');
    expect(h.lock().model.codeIn(h.lock().model.occupiedSlots()[0]!)).toBe('593027');
    expect(eventTypes(h, id)).not.toContain('access_code.modified_externally');
    expect((await status(h, id)).warnings).toEqual([]);
  });

  it('a write without an answer on a lock that cannot read codes back is unknown, until a write is confirmed', async () => {
    const h = await startBridge(
      [{ name: 'Front', options: { can_read_codes: false } }],
      'timing: { retry_base_ms: 400, retry_max_ms: 400 }',
    );
    h.lock().dropConfirmation(1);
    const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '902817' });
    await eventually(
      async () => (await status(h, access_code.access_code_id)).status === 'unknown',
      5000,
      'unknown',
    );
    await eventually(async () => (await status(h, access_code.access_code_id)).status === 'set', 5000, 'set');
    expect(h.lock().model.writeCount).toBe(2); // the same slot, written again
    expect(h.lock().model.occupiedSlots()).toHaveLength(1);
  });

  it('warns, then fails, a code the lock never confirms, and stops trying until the lock is back', async () => {
    const h = await startBridge(
      [{ name: 'Front' }],
      'timing:\n  delay_warning_after_s: 1\n  fail_after_s: 2\n  retry_base_ms: 20\n  retry_max_ms: 100',
    );
    h.lock().setOffline(true);
    await eventually(() => !h.bridge.store.devices.get(h.deviceId())!.online, 2000);
    const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '385016' });
    const id = access_code.access_code_id;
    await eventually(() => eventTypes(h, id).includes('access_code.failed_to_set_on_device'), 5000);
    expect(eventTypes(h, id)).toEqual([
      'access_code.created',
      'access_code.delay_in_setting_on_device',
      'access_code.failed_to_set_on_device',
    ]);
    h.lock().setOffline(false);
    await eventually(async () => (await status(h, id)).status === 'set', 5000);
    expect((await status(h, id)).errors).toEqual([]);
  });

  it('a code changed at the keypad is programmed again with code_modified_externally', async () => {
    const h = await startBridge([{ name: 'Front' }]);
    const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '613094' });
    const id = access_code.access_code_id;
    await eventually(async () => (await status(h, id)).status === 'set', 5000);
    const slot = h.lock().model.occupiedSlots()[0]!;
    h.lock().keypadProgram(slot, '999000');
    await eventually(() => eventTypes(h, id).includes('access_code.modified_externally'), 5000);
    await eventually(() => h.lock().model.codeIn(slot) === '613094', 5000);
    expect((await status(h, id)).warnings.map((w: { warning_code: string }) => w.warning_code)).toContain(
      'code_modified_externally',
    );
  });

  it('never touches a code the bridge did not write, and lists it as unmanaged', async () => {
    const h = await startBridge([{ name: 'Front', options: { slots: 3 } }]);
    h.lock().keypadProgram(1, '246802');
    h.lock().keypadProgram(2, '135791');
    await eventually(() => h.bridge.store.unmanaged.forDevice(h.deviceId()).length === 2, 5000);
    const a = await h.call('access_codes/create', { device_id: h.deviceId(), code: '902718' });
    const b = await h.call('access_codes/create', { device_id: h.deviceId(), code: '902719' });
    await eventually(async () => (await status(h, a.access_code.access_code_id)).status === 'set', 5000);
    const noSpace = await eventually(async () => {
      const c = await status(h, b.access_code.access_code_id);
      return c.errors.length > 0 ? c : null;
    }, 5000);
    expect(noSpace.errors[0].error_code).toBe('no_space_for_access_code_on_device');
    expect(h.lock().model.codeIn(1)).toBe('246802');
    expect(h.lock().model.codeIn(2)).toBe('135791');
  });

  it('a factory reset programs every managed code again', async () => {
    const h = await startBridge([{ name: 'Front' }]);
    const ids: string[] = [];
    for (const code of ['120934', '230945', '340956']) {
      ids.push(
        (await h.call('access_codes/create', { device_id: h.deviceId(), code })).access_code.access_code_id,
      );
    }
    await eventually(
      async () => (await Promise.all(ids.map((i) => status(h, i)))).every((c) => c.status === 'set'),
      5000,
    );
    h.lock().reboot(true);
    await eventually(
      () => h.lock().model.occupiedSlots().length === 3 && h.lock().model.writeCount === 6,
      5000,
      'reprogrammed',
    );
  });
});
