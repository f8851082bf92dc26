// bridge/info: everything an operator checks first, kept current over MQTT, published when it
// changed and otherwise only now and then (an idle bridge writes nothing to its store for it).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { infoFingerprint } from '../../src/app/bridge-info.ts';
import { LastProblems } from '../../src/log/last-problems.ts';
import { ApiClient, eventually } from '../helpers/api-client.ts';
import { Harness, ROOT, releaseAll, simulatedDriver } from '../helpers/bridge-harness.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';

const harnesses: Harness[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await releaseAll(harnesses);
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

describe('bridge/info over MQTT', () => {
  it('carries uptime, version, the broker, locks, pending operations, backlogs, store, clock and last problems; and follows a lock going offline', async () => {
    const broker: Broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const h = new Harness(simulatedDriver([{ name: 'Front' }, { name: 'Back', latency_ms: 60_000 }]), {
      brokerUrl: broker.url,
      problems: new LastProblems(),
    });
    harnesses.push(h);
    await h.start();
    await eventually(
      () => h.bridge.store.devices.byIdentity(h.lock(0).identity)?.online,
      5000,
      'Front online',
    );
    const api = await ApiClient.connect(broker.url, ROOT);
    cleanups.push(() => api.close());
    const info = () => JSON.parse(api.retained.get('bridge/info') ?? '{}');
    await eventually(() => info().locks?.online === 1, 15_000, 'bridge/info with Front online');

    const now = info();
    expect(now).toMatchObject({
      version: '0.1.0',
      gateway_id: 'test-hub',
      broker_connected: true,
      transports: { mqtt: { connected: true } },
      device_count: 2,
      locks: { online: 1, offline: 1, offline_names: ['Back'] }, // Back takes a minute to answer
      pending: { codes: 0, door_actions: 0, total: 0 },
      clock: { trusted: true, reason: null, synchronised: true },
      reconciler: { steps_running: 0, locks_failing: 0 },
    });
    expect(now.uptime_s).toBeGreaterThanOrEqual(0);
    expect(now.store_size_bytes).toBeGreaterThan(0);
    expect(now.schema_version).toBeGreaterThan(0);
    expect(now.started_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(now.event_backlog).toEqual([
      expect.objectContaining({ consumer: 'mqtt', undelivered: expect.any(Number) }),
    ]);

    h.lock(0).setOffline(true);
    await eventually(() => info().locks?.offline === 2, 15_000, 'bridge/info with Front offline');
    expect(info().locks).toEqual({ online: 0, offline: 2, offline_names: ['Front', 'Back'] });
    // The lock going offline was logged as a warning: it is the locks' last problem.
    expect(info().last_errors.locks).toMatchObject({
      level: 'warn',
      message: 'lock offline',
      reason: 'unreachable',
    });
  }, 60_000);
});

describe('how often bridge/info is written', () => {
  it('not while nothing changes; at once when something does; and every ten minutes regardless', async () => {
    let now = Date.parse('2025-03-01T10:00:00.000Z');
    const h = new Harness(simulatedDriver([{ name: 'Front' }]), { now: () => now });
    harnesses.push(h);
    await h.startOnline();
    const put = vi.spyOn(h.bridge.changes, 'bridgeInfo');
    h.bridge.refreshInfo(); // catches up with the lock having come online
    put.mockClear();

    for (let i = 0; i < 5; i++) {
      now += 5000;
      h.bridge.refreshInfo();
    }
    expect(put).not.toHaveBeenCalled(); // uptime moved on, nothing else did

    await h.call('access_codes/create', { device_id: h.deviceId(), code: '482916' });
    h.bridge.refreshInfo();
    expect(put).toHaveBeenCalledTimes(1); // a code is pending (or already set): a change
    await eventually(
      () => h.bridge.store.codes.liveForDevice(h.deviceId())[0]?.status === 'set',
      5000,
      'set',
    );
    h.bridge.refreshInfo();
    h.bridge.refreshInfo();
    expect(put).toHaveBeenCalledTimes(2);

    now += 10 * 60 * 1000;
    h.bridge.refreshInfo();
    expect(put).toHaveBeenCalledTimes(3);
    expect((put.mock.calls[2]![0] as { uptime_s: number }).uptime_s).toBeGreaterThanOrEqual(625);
  });

  it('its fingerprint ignores what only the clock moves', () => {
    const base = {
      uptime_s: 1,
      updated_at: 'a',
      reconciler: { steps_running: 1, longest_step_s: 3, locks_failing: 0 },
      event_backlog: [
        { consumer: 'mqtt', undelivered: 2, oldest_undelivered_at: 'x', oldest_undelivered_age_s: 5 },
      ],
      locks: { online: 1 },
    };
    const later = {
      ...base,
      uptime_s: 99,
      updated_at: 'b',
      reconciler: { ...base.reconciler, longest_step_s: 60 },
      event_backlog: [{ ...base.event_backlog[0]!, oldest_undelivered_age_s: 500 }],
    };
    const fp = (x: unknown) => infoFingerprint(x as Parameters<typeof infoFingerprint>[0]);
    expect(fp(later)).toBe(fp(base));
    expect(fp({ ...base, locks: { online: 2 } })).not.toBe(fp(base));
    expect(fp({ ...base, event_backlog: [{ ...base.event_backlog[0]!, undelivered: 3 }] })).not.toBe(
      fp(base),
    );
  });
});
