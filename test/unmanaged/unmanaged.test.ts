// Codes the bridge did not write, one-time codes and changes at the keypad, on simulated locks.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import { Harness, releaseAll, type SimLockSpec, simulatedDriver } from '../helpers/bridge-harness.ts';

const harnesses: Harness[] = [];
afterEach(() => releaseAll(harnesses));

async function start(specs: SimLockSpec[]): Promise<Harness> {
  const driver = simulatedDriver(specs);
  const h = new Harness(driver);
  harnesses.push(h);
  await h.startOnline();
  return h;
}

/** Creates a code and waits until the lock confirmed it; its id. */
async function createSet(h: Harness, params: Record<string, unknown>): Promise<string> {
  const { access_code } = await h.call('access_codes/create', params);
  const id: string = access_code.access_code_id;
  await eventually(
    async () => (await h.call('access_codes/get', { access_code_id: id })).access_code?.status === 'set',
    5000,
    'set',
  );
  return id;
}

const types = (h: Harness, filter: { access_code_id?: string } = {}) =>
  h.bridge.store.events.list({ since: 0, limit: 1000, ...filter }).map((e) => e.event_type);

async function unmanagedOn(h: Harness, slot: number, pin: string) {
  h.lock().keypadProgram(slot, pin);
  return eventually(
    async () => {
      const list = await h.call('access_codes/unmanaged/list', { device_id: h.deviceId() });
      return list.access_codes.find((c: { name: string }) => c.name === `Slot ${slot}`);
    },
    5000,
    'unmanaged code listed',
  );
}

describe('unmanaged codes', () => {
  it('are found, listed, read, and announced', async () => {
    const h = await start([{ name: 'Front' }]);
    const found = await unmanagedOn(h, 3, '246802');
    expect(found).toMatchObject({
      is_managed: false,
      status: 'set',
      code: '246802',
      device_id: h.deviceId(),
    });
    const got = await h.call('access_codes/unmanaged/get', { access_code_id: found.access_code_id });
    expect(got.access_code.access_code_id).toBe(found.access_code_id);
    expect(types(h, { access_code_id: found.access_code_id })).toEqual(['access_code.unmanaged.created']);
    expect((await h.call('access_codes/get', { access_code_id: found.access_code_id })).error.type).toBe(
      'access_code_not_found',
    );
    expect(
      (await h.call('access_codes/unmanaged/get', { access_code_id: '00000000-0000-4000-8000-000000000000' }))
        .error.type,
    ).toBe('access_code_not_found');
  });

  it('convert_to_managed keeps the id and the slot, without a write', async () => {
    const h = await start([{ name: 'Front' }]);
    const found = await unmanagedOn(h, 3, '246802');
    const converted = await h.call('access_codes/unmanaged/convert_to_managed', {
      access_code_id: found.access_code_id,
    });
    expect(converted.action_attempt).toMatchObject({
      action_type: 'CONVERT_ACCESS_CODE_TO_MANAGED',
      status: 'success',
    });
    const managed = await h.call('access_codes/get', { access_code_id: found.access_code_id });
    expect(managed.access_code).toMatchObject({
      is_managed: true,
      type: 'ongoing',
      status: 'set',
      code: '246802',
    });
    expect((await h.call('access_codes/unmanaged/list', { device_id: h.deviceId() })).access_codes).toEqual(
      [],
    );
    expect(types(h, { access_code_id: found.access_code_id })).toContain(
      'access_code.unmanaged.converted_to_managed',
    );
    // Managed from now on: a delete clears the slot.
    await h.call('access_codes/delete', { access_code_id: found.access_code_id });
    await eventually(() => h.lock().model.codeIn(3) === null, 5000, 'slot 3 cleared');
    expect(h.lock().model.writeCount).toBe(0);
  });

  it('convert_to_managed fails clearly where the lock cannot read codes back', async () => {
    const h = await start([{ name: 'Front', options: { can_read_codes: false } }]);
    const found = await unmanagedOn(h, 2, '246802');
    expect(found.code).toBeUndefined();
    const converted = await h.call('access_codes/unmanaged/convert_to_managed', {
      access_code_id: found.access_code_id,
    });
    expect(converted.action_attempt.status).toBe('error');
    expect(converted.action_attempt.error.message).toMatch(/cannot read codes back/);
    expect(types(h, { access_code_id: found.access_code_id })).toContain(
      'access_code.unmanaged.failed_to_convert_to_managed',
    );
  });

  it('unmanaged/delete clears the slot: pending, then success', async () => {
    const h = await start([{ name: 'Front', latency_ms: 100 }]);
    const found = await unmanagedOn(h, 4, '246802');
    const deleted = await h.call('access_codes/unmanaged/delete', { access_code_id: found.access_code_id });
    expect(deleted.action_attempt).toMatchObject({
      action_type: 'DELETE_UNMANAGED_ACCESS_CODE',
      status: 'pending',
    });
    await eventually(() => h.lock().model.codeIn(4) === null, 5000, 'slot cleared');
    await eventually(
      async () =>
        (await h.call('action_attempts/get', { action_attempt_id: deleted.action_attempt.action_attempt_id }))
          .action_attempt.status === 'success',
      5000,
    );
    expect(types(h, { access_code_id: found.access_code_id })).toEqual([
      'access_code.unmanaged.created',
      'access_code.unmanaged.removed',
      'action_attempt.delete_unmanaged_access_code.succeeded',
    ]);
  });

  it('slot allocation never overwrites an unmanaged code; a full lock gives no_space', async () => {
    const h = await start([{ name: 'Front', options: { slots: 3 } }]);
    await unmanagedOn(h, 1, '111357');
    await unmanagedOn(h, 2, '222468');
    const a = await h.call('access_codes/create', { device_id: h.deviceId(), code: '482916' });
    const b = await h.call('access_codes/create', { device_id: h.deviceId(), code: '613094' });
    await eventually(
      async () =>
        (await h.call('access_codes/get', { access_code_id: b.access_code.access_code_id })).access_code
          .errors.length > 0,
      5000,
      'no space',
    );
    const refused = (await h.call('access_codes/get', { access_code_id: b.access_code.access_code_id }))
      .access_code;
    expect(refused.errors[0].error_code).toBe('no_space_for_access_code_on_device');
    expect(
      (await h.call('access_codes/get', { access_code_id: a.access_code.access_code_id })).access_code.status,
    ).toBe('set');
    expect([h.lock().model.codeIn(1), h.lock().model.codeIn(2), h.lock().model.codeIn(3)]).toEqual([
      '111357',
      '222468',
      '482916',
    ]);
  });
});

describe('one-time codes', () => {
  it('work once: used at the keypad, then removed from the lock and deleted', async () => {
    const h = await start([{ name: 'Front' }]);
    const id = await createSet(h, {
      device_id: h.deviceId(),
      code: '482916',
      is_one_time_use: true,
    });
    h.lock().enterCode('482916');
    await eventually(() => h.lock().model.occupiedSlots().length === 0, 5000, 'removed from the lock');
    expect((await h.call('access_codes/get', { access_code_id: id })).error.type).toBe(
      'access_code_not_found',
    );
    expect(types(h, { access_code_id: id })).toEqual([
      'access_code.created',
      'access_code.set_on_device',
      'lock.unlocked',
      'access_code.removed_from_device',
      'access_code.deleted',
    ]);
  });
});

describe('changes at the keypad', () => {
  it('with allow_external_modification the new PIN is taken, with access_code.changed and no rewrite', async () => {
    const h = await start([{ name: 'Front' }]);
    const id = await createSet(h, {
      device_id: h.deviceId(),
      code: '482916',
      allow_external_modification: true,
    });
    const slot = h.lock().model.occupiedSlots()[0]!;
    h.lock().keypadProgram(slot, '777123');
    await eventually(
      async () => (await h.call('access_codes/get', { access_code_id: id })).access_code.code === '777123',
      5000,
      'new PIN taken',
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(h.lock().model.codeIn(slot)).toBe('777123');
    expect(h.lock().model.writeCount).toBe(1);
    expect(types(h, { access_code_id: id })).toContain('access_code.changed');
  });

  it('cleared at the keypad: deleted_externally, programmed again with code_modified_externally', async () => {
    const h = await start([{ name: 'Front' }]);
    const { access_code } = await h.call('access_codes/create', { device_id: h.deviceId(), code: '482916' });
    const id = access_code.access_code_id;
    await eventually(
      async () => (await h.call('access_codes/get', { access_code_id: id })).access_code.status === 'set',
      5000,
      'set',
    );
    const slot = h.lock().model.occupiedSlots()[0]!;
    h.lock().keypadProgram(slot, null);
    await eventually(
      () => h.lock().model.codeIn(slot) === '482916' && h.lock().model.writeCount === 2,
      5000,
      'programmed again',
    );
    const code = (await h.call('access_codes/get', { access_code_id: id })).access_code;
    expect(code.warnings.map((w: { warning_code: string }) => w.warning_code)).toContain(
      'code_modified_externally',
    );
    expect(types(h, { access_code_id: id })).toContain('access_code.deleted_externally');
  });
});
