// Time-bound codes on simulated locks: programmed at starts_at, removed and deleted at ends_at,
// deadlines from the store (so across restarts), an untrusted clock, native schedules.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import {
  Harness,
  type HarnessOptions,
  releaseAll,
  type SimLockSpec,
  simulatedDriver,
} from '../helpers/bridge-harness.ts';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const harnesses: Harness[] = [];
afterEach(() => releaseAll(harnesses));

async function start(
  specs: SimLockSpec[],
  options: HarnessOptions = {},
  driver = simulatedDriver(specs),
): Promise<Harness> {
  const h = new Harness(driver, options);
  harnesses.push(h);
  await h.startOnline();
  return h;
}

/** A clock the test moves by hand; it starts now and only goes forward. */
function manualClock() {
  let t = Date.now();
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

const get = async (h: Harness, id: string) => h.call('access_codes/get', { access_code_id: id });
const types = (h: Harness, id: string) =>
  h.bridge.store.events.list({ since: 0, access_code_id: id, limit: 1000 }).map((e) => e.event_type);

describe('time-bound codes', () => {
  it('in real time: on the lock at starts_at, off and deleted at ends_at', async () => {
    const h = await start([{ name: 'Front', latency_ms: 5 }]);
    const t0 = Date.now();
    const created = await h.call('access_codes/create', {
      device_id: h.deviceId(),
      code: '482916',
      starts_at: iso(t0 + 1500),
      ends_at: iso(t0 + 3500),
    });
    expect(created.access_code).toMatchObject({
      type: 'time_bound',
      status: 'unset',
      starts_at: iso(t0 + 1500),
    });
    const id = created.access_code.access_code_id;
    expect(h.lock().model.occupiedSlots()).toEqual([]);
    await eventually(async () => (await get(h, id)).access_code?.status === 'set', 5000, 'set at starts_at');
    expect(Date.now()).toBeGreaterThanOrEqual(t0 + 1500);
    expect(h.lock().model.occupiedSlots()).toHaveLength(1);
    await eventually(
      async () => (await get(h, id)).error?.type === 'access_code_not_found',
      6000,
      'deleted at ends_at',
    );
    expect(h.lock().model.occupiedSlots()).toEqual([]);
    expect(types(h, id)).toEqual([
      'access_code.created',
      'access_code.set_on_device',
      'access_code.removed_from_device',
      'access_code.deleted',
    ]);
  });

  it('a window of 40 days, beyond setTimeout’s limit, with the clock moved by hand', async () => {
    const clock = manualClock();
    const h = await start([{ name: 'Front' }], { now: clock.now });
    const t0 = clock.now();
    const { access_code } = await h.call('access_codes/create', {
      device_id: h.deviceId(),
      code: '482916',
      starts_at: iso(t0 + 10 * DAY),
      ends_at: iso(t0 + 40 * DAY),
    });
    const id = access_code.access_code_id;
    clock.advance(9 * DAY);
    await h.bridge.clock.recheck();
    await new Promise((r) => setTimeout(r, 100));
    expect((await get(h, id)).access_code.status).toBe('unset');
    clock.advance(1 * DAY);
    await h.bridge.clock.recheck();
    await eventually(async () => (await get(h, id)).access_code.status === 'set', 5000, 'set on day 10');
    clock.advance(30 * DAY);
    await h.bridge.clock.recheck();
    await eventually(
      async () => (await get(h, id)).error?.type === 'access_code_not_found',
      5000,
      'deleted on day 40',
    );
    expect(h.lock().model.occupiedSlots()).toEqual([]);
  });

  it('a gateway down across ends_at removes the expired code first thing after the restart', async () => {
    const clock = manualClock();
    const driver = simulatedDriver([{ name: 'Front', latency_ms: 5 }]);
    const first = await start([], { now: clock.now }, driver);
    const t0 = clock.now();
    const { access_code } = await first.call('access_codes/create', {
      device_id: first.deviceId(),
      code: '482916',
      starts_at: iso(t0 - 1000 + 2000),
      ends_at: iso(t0 + 2 * DAY),
    });
    clock.advance(3000);
    await first.bridge.clock.recheck();
    await eventually(
      async () => (await get(first, access_code.access_code_id)).access_code.status === 'set',
      5000,
      'set',
    );
    await first.stop();

    clock.advance(3 * DAY); // down across ends_at
    const second = await start([], { now: clock.now, dataDir: first.dataDir }, driver);
    await eventually(
      () => driver.locks[0]!.model.occupiedSlots().length === 0,
      5000,
      'cleared after restart',
    );
    expect((await get(second, access_code.access_code_id)).error.type).toBe('access_code_not_found');
    expect(types(second, access_code.access_code_id).slice(-2)).toEqual([
      'access_code.removed_from_device',
      'access_code.deleted',
    ]);
  });

  it('an untrusted clock neither programs nor expires; trust restored, windows are evaluated at once', async () => {
    let synchronised = false;
    const h = await start([{ name: 'Front' }], {
      yaml: 'timing:\n  require_clock_sync: true\n  retry_base_ms: 20\n  retry_max_ms: 200',
      syncProbe: async () => synchronised,
    });
    const t0 = Date.now();
    const { access_code } = await h.call('access_codes/create', {
      device_id: h.deviceId(),
      code: '482916',
      starts_at: iso(t0 - 60_000),
      ends_at: iso(t0 + DAY),
    });
    await new Promise((r) => setTimeout(r, 200));
    expect((await get(h, access_code.access_code_id)).access_code.status).toBe('unset');
    expect(h.lock().model.occupiedSlots()).toEqual([]);
    expect(h.bridge.clock.status()).toMatchObject({ trusted: false, reason: 'clock_not_synchronised' });
    expect(h.log.text).toContain('time-bound codes are neither programmed nor expired');
    synchronised = true;
    await h.bridge.clock.recheck();
    await eventually(
      async () => (await get(h, access_code.access_code_id)).access_code.status === 'set',
      5000,
      'set once trusted',
    );
  });

  it('a lock with native schedules holds the code from creation: scheduled_on_device, then set at starts_at without a second write', async () => {
    const clock = manualClock();
    const h = await start([{ name: 'Front', options: { supports_native_scheduling: true } }], {
      now: clock.now,
    });
    const t0 = clock.now();
    const window = { starts_at: t0 + DAY, ends_at: t0 + 2 * DAY };
    const { access_code } = await h.call('access_codes/create', {
      device_id: h.deviceId(),
      code: '482916',
      starts_at: iso(window.starts_at),
      ends_at: iso(window.ends_at),
    });
    const id = access_code.access_code_id;
    expect(access_code.is_scheduled_on_device).toBe(true);
    await eventually(() => types(h, id).includes('access_code.scheduled_on_device'), 5000, 'scheduled');
    const slot = h.lock().model.occupiedSlots()[0]!;
    expect(h.lock().model.slot(slot).schedule).toEqual(window);
    expect((await get(h, id)).access_code.status).toBe('unset');
    clock.advance(DAY);
    await h.bridge.clock.recheck();
    await eventually(async () => (await get(h, id)).access_code.status === 'set', 5000, 'set at starts_at');
    expect(h.lock().model.writeCount).toBe(1);
    clock.advance(DAY);
    await h.bridge.clock.recheck();
    await eventually(() => h.lock().model.occupiedSlots().length === 0, 5000, 'removed after ends_at');
  });

  it('past ends_at with its lock offline: removing while on the lock, deleted at once if it never was', async () => {
    const clock = manualClock();
    const h = await start([{ name: 'Front' }], { now: clock.now });
    const t0 = clock.now();
    const window = { starts_at: iso(t0 + 1000), ends_at: iso(t0 + DAY) };
    const onLock = (
      await h.call('access_codes/create', { device_id: h.deviceId(), code: '482916', ...window })
    ).access_code;
    clock.advance(2000);
    await h.bridge.clock.recheck();
    await eventually(
      async () => (await get(h, onLock.access_code_id)).access_code.status === 'set',
      5000,
      'set',
    );
    h.lock().setOffline(true);
    const never = (
      await h.call('access_codes/create', { device_id: h.deviceId(), code: '613094', ...window })
    ).access_code;
    clock.advance(DAY);
    await h.bridge.clock.recheck();
    await eventually(
      async () => (await get(h, never.access_code_id)).error?.type === 'access_code_not_found',
      5000,
      'deleted',
    );
    expect(types(h, never.access_code_id)).toEqual(['access_code.created', 'access_code.deleted']);
    expect((await get(h, onLock.access_code_id)).access_code.status).toBe('removing');
    h.lock().setOffline(false);
    await eventually(
      async () => (await get(h, onLock.access_code_id)).error?.type === 'access_code_not_found',
      5000,
      'removed',
    );
    expect(h.lock().model.occupiedSlots()).toEqual([]);
  });

  it('one PIN may serve two stays that do not overlap, never two at once', async () => {
    const h = await start([{ name: 'Front' }]);
    const t0 = Date.now();
    const stay = (from: number, to: number) => ({
      device_id: h.deviceId(),
      code: '482916',
      starts_at: iso(t0 + from * DAY),
      ends_at: iso(t0 + to * DAY),
    });
    expect((await h.call('access_codes/create', stay(1, 3))).ok).toBe(true);
    expect((await h.call('access_codes/create', stay(3, 5))).ok).toBe(true);
    expect((await h.call('access_codes/create', stay(4, 6))).error.type).toBe('duplicate_access_code');
    expect(
      (await h.call('access_codes/create', { device_id: h.deviceId(), code: '482916' })).error.type,
    ).toBe('duplicate_access_code');
  });

  it('update with type ongoing clears the window; update with a window makes an ongoing code time-bound', async () => {
    const h = await start([{ name: 'Front' }]);
    const t0 = Date.now();
    const { access_code } = await h.call('access_codes/create', {
      device_id: h.deviceId(),
      code: '482916',
      starts_at: iso(t0 + DAY),
      ends_at: iso(t0 + 2 * DAY),
    });
    const id = access_code.access_code_id;
    expect((await h.call('access_codes/update', { access_code_id: id, type: 'ongoing' })).ok).toBe(true);
    const ongoing = (await get(h, id)).access_code;
    expect(ongoing.type).toBe('ongoing');
    expect(ongoing.starts_at).toBeUndefined();
    await eventually(async () => (await get(h, id)).access_code.status === 'set', 5000, 'ongoing code set');
    expect(
      (
        await h.call('access_codes/update', {
          access_code_id: id,
          starts_at: iso(t0 + DAY),
          ends_at: iso(t0 + 2 * DAY),
        })
      ).ok,
    ).toBe(true);
    expect((await get(h, id)).access_code).toMatchObject({ type: 'time_bound', starts_at: iso(t0 + DAY) });
    await eventually(
      () => h.lock().model.occupiedSlots().length === 0,
      5000,
      'off the lock until its window',
    );
    expect((await get(h, id)).access_code.status).toBe('unset');
  });
});
