// The watchdog's judgement, in process: it pings only while the bridge is healthy (the store
// answers, no reconcile step wedged), says once when that stops and once when it is back, and
// takes its interval from systemd's environment.
import { afterEach, describe, expect, it } from 'vitest';
import { STEP_WEDGED_MS } from '../../src/app/bridge.ts';
import type { Notifier } from '../../src/app/systemd-notify.ts';
import { type HealthVerdict, Watchdog, watchdogInterval } from '../../src/app/watchdog.ts';
import { eventually } from '../helpers/api-client.ts';
import { Harness, releaseAll, simulatedDriver } from '../helpers/bridge-harness.ts';

const harnesses: Harness[] = [];
afterEach(() => releaseAll(harnesses));

function recorder() {
  const sent: string[] = [];
  const notifier: Notifier = {
    enabled: true,
    notify: async (...assignments) => {
      sent.push(...assignments);
      return true;
    },
  };
  const lines: Array<{ level: string; msg: string; fields: unknown }> = [];
  const at = (level: string) => (fields: unknown, msg?: string) => {
    lines.push({ level, msg: typeof fields === 'string' ? fields : (msg ?? ''), fields });
  };
  const log = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
  return { sent, notifier, lines, log: log as never };
}

describe('Watchdog', () => {
  it('pings while healthy, is silent while not, and logs each change once', async () => {
    const { sent, notifier, lines, log } = recorder();
    let verdict: HealthVerdict = { healthy: true };
    let now = 0;
    const watchdog = new Watchdog({ intervalMs: 1000, check: () => verdict, notifier, log, now: () => now });
    const tick = async () => {
      now += 1000;
      watchdog.tick();
      await new Promise((resolve) => setImmediate(resolve)); // the notifier's promise
    };
    await tick();
    await tick();
    expect(sent).toEqual(['WATCHDOG=1', 'WATCHDOG=1']);

    verdict = { healthy: false, reason: 'the store does not answer a read (disk I/O error)' };
    await tick();
    await tick();
    await tick();
    expect(sent).toHaveLength(2);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      msg: 'not healthy: watchdog pings stopped; systemd restarts the bridge if this lasts',
      fields: { reason: 'the store does not answer a read (disk I/O error)' },
    });

    verdict = { healthy: true };
    await tick();
    expect(sent).toHaveLength(3);
    expect(lines.filter((l) => l.msg === 'healthy again: watchdog pings resumed')).toHaveLength(1);
  });

  it('says when its own timer came far too late (the event loop was blocked)', () => {
    const { lines, notifier, log } = recorder();
    let now = 0;
    const watchdog = new Watchdog({
      intervalMs: 1000,
      check: () => ({ healthy: true }),
      notifier,
      log,
      now: () => now,
    });
    watchdog.start();
    watchdog.stop();
    now += 1100; // a little late: normal
    watchdog.tick();
    now += 5000; // four intervals late
    watchdog.tick();
    const late = lines.filter((l) => l.msg === 'the event loop was blocked; watchdog ping was late');
    expect(late).toEqual([expect.objectContaining({ fields: { blocked_ms: 4000 } })]);
  });

  it('a check that throws counts as unhealthy', async () => {
    const { sent, lines, notifier, log } = recorder();
    const watchdog = new Watchdog({
      intervalMs: 1000,
      check: () => {
        throw new Error('boom');
      },
      notifier,
      log,
    });
    watchdog.tick();
    expect(sent).toEqual([]);
    expect(lines.find((l) => l.level === 'error')?.fields).toEqual({ reason: 'boom' });
  });

  it('takes half of WATCHDOG_USEC, only for this process and only when systemd listens', () => {
    expect(watchdogInterval({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000' }, 42)).toBe(15_000);
    expect(
      watchdogInterval({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42),
    ).toBe(15_000);
    expect(
      watchdogInterval({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42),
    ).toBeNull();
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000' }, 42)).toBeNull();
    expect(watchdogInterval({ NOTIFY_SOCKET: '/run/x' }, 42)).toBeNull();
    expect(watchdogInterval({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: 'soon' }, 42)).toBeNull();
  });
});

describe('Bridge.checkHealth', () => {
  it('is healthy while the store answers and steps end; wedged when a lock command runs for minutes', async () => {
    let now = Date.parse('2025-03-01T10:00:00.000Z');
    const h = new Harness(simulatedDriver([{ name: 'Front' }]), { now: () => now, commandWaitMs: 50 });
    harnesses.push(h);
    await h.startOnline();
    expect(h.bridge.checkHealth()).toEqual({ healthy: true });

    h.lock().slowNext(600_000); // the write never seems to end
    await h.call('access_codes/create', { device_id: h.deviceId(), code: '482916' });
    await eventually(() => h.bridge.reconciler.health().running === 1, 5000, 'the write in flight');
    now += STEP_WEDGED_MS - 1000;
    expect(h.bridge.checkHealth()).toEqual({ healthy: true }); // slow, not yet wedged
    now += 2000;
    const verdict = h.bridge.checkHealth();
    expect(verdict.healthy).toBe(false);
    expect(verdict.reason).toMatch(/^a lock command has been running for 301 s: the reconciler is wedged$/);
  });

  it('is unhealthy when the store does not answer a read', async () => {
    const h = new Harness(simulatedDriver([{ name: 'Front' }]));
    harnesses.push(h);
    await h.startOnline();
    h.bridge.store.close();
    const verdict = h.bridge.checkHealth();
    expect(verdict.healthy).toBe(false);
    expect(verdict.reason).toMatch(/^the store does not answer a read \(/);
  });
});
