// The seeds' flows against the hub's HTTP API, driven by Seam's own SDK (@seamapi/http 2.x) and no
// other client: what an integrator's existing code does, pointed at the building's hub.
import {
  SeamActionAttemptFailedError,
  type SeamHttp,
  SeamHttpApiError,
  SeamHttpInvalidInputError,
  SeamHttpUnauthorizedError,
} from '@seamapi/http';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import { type HttpEnv, seamClient, startHttp } from '../helpers/http-kit.ts';

let env: HttpEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const HOUR = 3600_000;

/** The error a promise rejected with (the test fails if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

async function statusOf(seam: SeamHttp, id: string): Promise<string> {
  return (await seam.accessCodes.get({ access_code_id: id })).status;
}

describe("the seeds' flows through Seam's SDK", () => {
  it('create → setting, then set once the lock confirmed; get and list find it', async () => {
    env = await startHttp([{ name: 'Front door', latency_ms: 30 }]);
    const { seam, h } = env;
    const [device] = await seam.devices.list();
    expect(device).toMatchObject({ device_id: h.deviceId(), name: 'Front door' });
    expect(await seam.locks.list()).toHaveLength(1); // Seam code lists locks this way too

    const created = await seam.accessCodes.create({ device_id: h.deviceId(), name: 'Guest', code: '482916' });
    expect(created).toMatchObject({ name: 'Guest', code: '482916', status: 'setting', type: 'ongoing' });
    const id = created.access_code_id;
    await eventually(async () => (await statusOf(seam, id)) === 'set', 5000, 'set');
    expect(h.lock().model.slotWithCode('482916')).not.toBeNull();

    const listed = await seam.accessCodes.list({ device_id: h.deviceId() });
    expect(listed.map((c) => c.access_code_id)).toEqual([id]);
    // Arrays go as repeated query keys.
    const byIds = await seam.accessCodes.list({
      access_code_ids: [id, '00000000-0000-4000-8000-000000000000'],
    });
    expect(byIds.map((c) => c.access_code_id)).toEqual([id]);
    // One element is one key: only the route's schema says it is a list.
    expect((await seam.accessCodes.list({ access_code_ids: [id] })).map((c) => c.access_code_id)).toEqual([
      id,
    ]);
    const events = await seam.events.list({ since: new Date(Date.now() - HOUR).toISOString() });
    expect(events.map((e) => e.event_type)).toEqual(
      expect.arrayContaining(['access_code.created', 'access_code.set_on_device']),
    );
  });

  it('update to time-bound (off the lock until its window) and back to ongoing (on it again)', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const { seam, h } = env;
    const { access_code_id: id } = await seam.accessCodes.create({ device_id: h.deviceId(), code: '5432' });
    await eventually(async () => (await statusOf(seam, id)) === 'set', 5000, 'set');

    const starts = new Date(Date.now() + 24 * HOUR);
    const ends = new Date(Date.now() + 48 * HOUR);
    await seam.accessCodes.update({
      access_code_id: id,
      starts_at: starts.toISOString(),
      ends_at: ends.toISOString(),
    });
    const timeBound = await seam.accessCodes.get({ access_code_id: id });
    expect(timeBound).toMatchObject({
      type: 'time_bound',
      starts_at: starts.toISOString(),
      ends_at: ends.toISOString(),
    });
    await eventually(async () => (await statusOf(seam, id)) === 'unset', 5000, 'unset');
    expect(h.lock().model.slotWithCode('5432')).toBeNull();

    await seam.accessCodes.update({ access_code_id: id, type: 'ongoing' });
    const ongoing = await seam.accessCodes.get({ access_code_id: id });
    expect(ongoing.type).toBe('ongoing');
    expect(ongoing.starts_at).toBeUndefined();
    expect(ongoing.ends_at).toBeUndefined();
    await eventually(async () => (await statusOf(seam, id)) === 'set', 5000, 'set again');
    expect(h.lock().model.slotWithCode('5432')).not.toBeNull();
  });

  it('delete: the SDK polls the action attempt to success, then get fails with access_code_not_found', async () => {
    env = await startHttp([{ name: 'Front door', latency_ms: 300 }]);
    const { seam, h } = env;
    const { access_code_id: id } = await seam.accessCodes.create({ device_id: h.deviceId(), code: '482916' });
    await eventually(async () => (await statusOf(seam, id)) === 'set', 5000, 'set');

    // SDK 2.x sends DELETE /access_codes/delete?access_code_id=…; the body holds the attempt.
    const deleted = (await seam.accessCodes.delete({ access_code_id: id }).fetchResponse()) as unknown as {
      action_attempt: { action_attempt_id: string; status: string; action_type: string };
    };
    expect(deleted.action_attempt).toMatchObject({ status: 'pending', action_type: 'DELETE_ACCESS_CODE' });
    const attempt = await seam.actionAttempts.get(
      { action_attempt_id: deleted.action_attempt.action_attempt_id },
      { waitForActionAttempt: { pollingInterval: 100, timeout: 10_000 } },
    );
    expect(attempt.status).toBe('success');
    expect(h.lock().model.slotWithCode('482916')).toBeNull();

    const error = await rejection(seam.accessCodes.get({ access_code_id: id }));
    expect(error).toBeInstanceOf(SeamHttpApiError);
    expect(error).toMatchObject({
      code: 'access_code_not_found',
      statusCode: 404,
      data: { access_code_id: id },
    });
    expect((error as SeamHttpApiError).requestId).not.toBe('');
  });

  it('unmanaged codes: list, convert to managed, delete', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const { seam, h } = env;
    h.lock().keypadProgram(3, '246802');
    h.lock().keypadProgram(5, '135790');
    const listed = await eventually(
      async () => {
        const codes = await seam.accessCodes.unmanaged.list({ device_id: h.deviceId() });
        return codes.length === 2 ? codes : null;
      },
      5000,
      'two unmanaged codes',
    );
    const [first, second] = listed!.sort((a, b) => a.name!.localeCompare(b.name!));
    expect(first).toMatchObject({ is_managed: false, code: '246802', status: 'set' });
    expect((await seam.accessCodes.unmanaged.get({ access_code_id: first!.access_code_id })).code).toBe(
      '246802',
    );

    // PATCH /access_codes/unmanaged/convert_to_managed
    await seam.accessCodes.unmanaged.convertToManaged({ access_code_id: first!.access_code_id });
    const managed = await seam.accessCodes.get({ access_code_id: first!.access_code_id });
    expect(managed).toMatchObject({ is_managed: true, code: '246802', status: 'set' });

    // DELETE /access_codes/unmanaged/delete?access_code_id=…
    await seam.accessCodes.unmanaged.delete({ access_code_id: second!.access_code_id });
    await eventually(() => h.lock().model.slotWithCode('135790') === null, 5000, 'slot cleared');
    await eventually(
      async () => (await seam.accessCodes.unmanaged.list({ device_id: h.deviceId() })).length === 0,
      5000,
      'unmanaged list empty',
    );
    expect(h.lock().model.slotWithCode('246802')).toBe(3);
  });

  it('lock and unlock, the SDK waiting on the action attempt', async () => {
    env = await startHttp([{ name: 'Front door', latency_ms: 200 }]);
    const { seam, h } = env;
    const unlocked = await seam.locks.unlockDoor(
      { device_id: h.deviceId() },
      { waitForActionAttempt: { pollingInterval: 100 } },
    );
    expect(unlocked).toMatchObject({ action_type: 'UNLOCK_DOOR', status: 'success' });
    expect(h.lock().lockState).toBe('unlocked');
    const locked = await seam.locks.lockDoor({ device_id: h.deviceId() });
    expect(locked).toMatchObject({ action_type: 'LOCK_DOOR', status: 'success' });
    expect(h.lock().lockState).toBe('locked');
    expect((await seam.devices.get({ device_id: h.deviceId() })).properties).toMatchObject({ locked: true });
  });

  it('an Idempotency-Key makes a repeated create one code', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const { h, url, key } = env;
    const once = seamClient(url, key, { axiosOptions: { headers: { 'Idempotency-Key': 'create-guest-1' } } });
    const a = await once.accessCodes.create({ device_id: h.deviceId(), code: '482916' });
    const b = await once.accessCodes.create({ device_id: h.deviceId(), code: '482916' });
    expect(b.access_code_id).toBe(a.access_code_id);
    expect(await env.seam.accessCodes.list({ device_id: h.deviceId() })).toHaveLength(1);
  });
});

describe("every error as the SDK's own class", () => {
  it('401, 400 invalid_input, 404 *_not_found and unknown routes, 409 duplicate, 413, a failed attempt', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const { seam, h, url } = env;
    const deviceId = h.deviceId();

    const wrongKey = seamClient(url, 'seam_00000000_notakeynotakeynotakeynotakey');
    const unauthorized = await rejection(wrongKey.devices.list());
    expect(unauthorized).toBeInstanceOf(SeamHttpUnauthorizedError);
    expect(unauthorized).toMatchObject({ statusCode: 401 });

    const invalid = await rejection(seam.accessCodes.create({ device_id: deviceId, code: '12ab' }));
    expect(invalid).toBeInstanceOf(SeamHttpInvalidInputError);
    expect(invalid).toMatchObject({ statusCode: 400 });
    expect((invalid as SeamHttpInvalidInputError).getValidationErrorMessages('code')).toEqual([
      'must contain only digits 0-9',
    ]);

    for (const [call, type] of [
      [seam.devices.get({ device_id: 'no-such-lock' }), 'device_not_found'],
      [seam.accessCodes.get({ access_code_id: 'no-such-code' }), 'access_code_not_found'],
      [seam.actionAttempts.get({ action_attempt_id: 'no-such-attempt' }), 'action_attempt_not_found'],
      // A route of Seam's API that the hub does not serve.
      [seam.accessCodes.generateCode({ device_id: deviceId }), 'unknown_route'],
    ] as const) {
      const error = await rejection(call);
      expect(error, type).toBeInstanceOf(SeamHttpApiError);
      expect(error, type).toMatchObject({ code: type, statusCode: 404 });
    }

    await seam.accessCodes.create({ device_id: deviceId, code: '482916' });
    const duplicate = await rejection(seam.accessCodes.create({ device_id: deviceId, code: '482916' }));
    expect(duplicate).toBeInstanceOf(SeamHttpApiError);
    expect(duplicate).toMatchObject({ code: 'duplicate_access_code', statusCode: 409 });

    const tooLarge = await rejection(
      seam.accessCodes.create({ device_id: deviceId, name: 'x'.repeat(70_000) }),
    );
    expect(tooLarge).toBeInstanceOf(SeamHttpInvalidInputError);
    expect(tooLarge).toMatchObject({ statusCode: 413 });

    h.lock().setOffline(true);
    await eventually(
      async () => !(await seam.devices.get({ device_id: deviceId })).properties.online,
      5000,
      'offline',
    );
    const failed = await rejection(seam.locks.unlockDoor({ device_id: deviceId }));
    expect(failed).toBeInstanceOf(SeamActionAttemptFailedError);
    expect(failed).toMatchObject({ code: 'device_offline' });
    expect(await seam.accessCodes.list({ device_id: deviceId })).toHaveLength(1); // nothing else stored
  });

  it('a revoked key stops working at once; a key made while running works at once', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const { seam, h, url } = env;
    expect(await seam.devices.list()).toHaveLength(1);
    const fresh = h.bridge.apiKeys.create('made while running');
    expect(await seamClient(url, fresh.key).devices.list()).toHaveLength(1);
    expect(h.bridge.apiKeys.revoke(env.key)).toBe(true);
    expect(await rejection(seam.devices.list())).toBeInstanceOf(SeamHttpUnauthorizedError);
  });

  it('429 once a key used up its rate; other keys are not held back', async () => {
    env = await startHttp([{ name: 'Front door' }], {
      yaml: 'http: { rate_limit_per_minute: 1, rate_limit_burst: 3 }',
    });
    const { h, url, key } = env;
    // The SDK retries a 429 after its Retry-After (60 s here); this test wants the error itself.
    const seam = seamClient(url, key, { axiosRetryOptions: { retries: 0 } });
    for (let i = 0; i < 3; i++) await seam.devices.list();
    const limited = await rejection(seam.devices.list());
    expect(limited).toBeInstanceOf(SeamHttpApiError);
    expect(limited).toMatchObject({ code: 'rate_limited', statusCode: 429 });
    const other = seamClient(url, h.bridge.apiKeys.create('other').key);
    expect(await other.devices.list()).toHaveLength(1);
  });
});
