// Locks that misbehave the way real ones do: offline past the delay and failure thresholds, line
// noise and corrupted frames, lost answers, factory resets, and a firmware that answers READ_SLOTS
// badly. Each time the codes end up right, and the log and the event stream say each thing once:
// the warnings and events are counted, and printed as a table.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { LockSimulatorOptions } from '../../drivers/serial/simulator/lock-simulator.ts';
import { type ApiBody, eventually } from '../helpers/api-client.ts';
import { Harness, simulatedDriver } from '../helpers/bridge-harness.ts';
import { lockwireLock } from '../helpers/lockwire-lock.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

/** What each scenario counted, printed at the end: the figures for the report. */
const tally: Array<{ scenario: string; warnings: number; errors: number; events: number; detail: string }> =
  [];
afterAll(() => {
  console.log(
    [
      'scenario | warn lines | error lines | events | by type',
      ...tally.map((t) => `${t.scenario} | ${t.warnings} | ${t.errors} | ${t.events} | ${t.detail}`),
    ].join('\n'),
  );
});

interface Counts {
  /** Log lines at warn or above, by message. */
  loud: Map<string, number>;
  errors: number;
  /** Events appended, by type. */
  events: Map<string, number>;
}

function countSince(h: Harness, logFrom: number, eventsSince: number): Counts {
  const loud = new Map<string, number>();
  let errors = 0;
  for (const chunk of h.log.chunks.slice(logFrom)) {
    const line = JSON.parse(chunk) as { level: number; msg: string };
    if (line.level >= 40) loud.set(line.msg, (loud.get(line.msg) ?? 0) + 1);
    if (line.level >= 50) errors++;
  }
  const events = new Map<string, number>();
  for (const e of h.bridge.store.events.list({ since: eventsSince, limit: 10_000 })) {
    events.set(e.event_type, (events.get(e.event_type) ?? 0) + 1);
  }
  return { loud, errors, events };
}

function record(scenario: string, counts: Counts): void {
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  tally.push({
    scenario,
    warnings: sum(counts.loud),
    errors: counts.errors,
    events: sum(counts.events),
    detail: [...counts.events].map(([type, n]) => `${type} ${n}`).join(', '),
  });
}

async function statusOf(h: Harness, id: string): Promise<ApiBody> {
  return (await h.call('access_codes/get', { access_code_id: id })).access_code;
}

async function allSet(h: Harness, ids: string[], timeoutMs = 20_000): Promise<void> {
  await eventually(
    async () => {
      for (const id of ids) if ((await statusOf(h, id))?.status !== 'set') return false;
      return true;
    },
    timeoutMs,
    'every code set',
  );
}

describe('a simulated lock offline past the delay and failure thresholds', () => {
  it('warns once, fails once, for each code; logs the outage once; sets everything when it is back', async () => {
    const h = new Harness(simulatedDriver([{ name: 'Front', latency_ms: 10 }]), {
      yaml: 'timing: { delay_warning_after_s: 1, fail_after_s: 3, retry_base_ms: 20, retry_max_ms: 200 }',
    });
    cleanups.push(async () => {
      await h.stop();
      h.cleanup();
    });
    await h.startOnline();
    const device_id = h.deviceId();
    const kept = (await h.call('access_codes/create', { device_id, code: '111222' })).access_code
      .access_code_id;
    const gone = (await h.call('access_codes/create', { device_id, code: '333444' })).access_code
      .access_code_id;
    await allSet(h, [kept, gone]);

    const logFrom = h.log.chunks.length;
    const since = Date.now();
    h.lock().setOffline(true);
    const added = (await h.call('access_codes/create', { device_id, code: '555666' })).access_code
      .access_code_id;
    await h.call('access_codes/update', { access_code_id: kept, code: '777888' });
    await h.call('access_codes/delete', { access_code_id: gone });
    // Past fail_after_s, with retries every 200 ms at most meanwhile.
    await eventually(
      async () =>
        (await statusOf(h, added)).errors.some(
          (e: { error_code: string }) => e.error_code === 'failed_to_set_on_device',
        ),
      10_000,
      'the new code failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const offline = countSince(h, logFrom, since);
    expect(offline.events.get('device.disconnected')).toBe(1);
    for (const type of ['access_code.delay_in_setting_on_device', 'access_code.failed_to_set_on_device']) {
      expect(offline.events.get(type), type).toBe(2); // the new code and the updated one, once each
    }
    expect(offline.events.get('access_code.delay_in_removing_from_device')).toBe(1);
    expect(offline.events.get('access_code.failed_to_remove_from_device')).toBe(1);
    expect([...offline.loud]).toEqual([['lock offline', 1]]);

    h.lock().setOffline(false);
    await allSet(h, [kept, added]);
    await eventually(
      () => h.lock().model.slotWithCode('333444') === null,
      10_000,
      'the deleted code removed',
    );
    const total = countSince(h, logFrom, since);
    expect(total.events.get('device.connected')).toBe(1);
    expect(total.events.get('access_code.set_on_device')).toBe(2);
    expect(total.events.get('access_code.removed_from_device')).toBe(1);
    expect(total.errors).toBe(0);
    expect([...total.loud.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2);
    record('simulated lock offline 8 s (delay 1 s, fail 3 s)', total);
  });
});

describe('a lockwire lock with a bad line and odd firmware', () => {
  async function serialBridge(options: Partial<LockSimulatorOptions> = {}) {
    const { pty, sim } = await lockwireLock('LK-FAULTS-1', cleanups, {
      slots: 40,
      supports_native_scheduling: false,
      event_resend_ms: 200,
      ...options,
    });
    const h = new Harness(null, {
      yaml: [
        'timing: { retry_base_ms: 50, retry_max_ms: 500 }',
        'locks:',
        '  - name: Front door',
        '    driver: serial',
        `    serial: { path: ${pty.hostPath}, response_timeout_ms: 150 }`,
      ].join('\n'),
    });
    cleanups.push(async () => {
      await h.stop();
      h.cleanup();
    });
    await h.start();
    const device_id = (await eventually(
      () => h.bridge.store.devices.list().find((d) => d.online)?.device_id,
      15_000,
      'the serial lock online',
    )) as string;
    return { h, sim, device_id };
  }

  async function createMany(h: Harness, device_id: string, count: number, first: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const created = await h.call('access_codes/create', { device_id, code: String(first + i * 11) });
      expect(created.ok).toBe(true);
      ids.push(created.access_code.access_code_id);
    }
    return ids;
  }

  it('line noise, corrupted frames and lost answers: every code set once, the lock never offline', async () => {
    const { h, sim, device_id } = await serialBridge();
    const logFrom = h.log.chunks.length;
    const since = Date.now();
    sim.faults.noisy = true; // garbage before every frame, all along
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      // One fault at a time: a corrupted frame, then a lost answer (the re-send gets it), in turn.
      if (i % 2 === 0) sim.faults.corruptFrames(1);
      else sim.faults.loseResponses(1);
      ids.push(...(await createMany(h, device_id, 1, 240_000 + i * 11)));
      await allSet(h, ids);
    }
    for (let i = 0; i < 12; i++) expect(sim.model.slotWithCode(String(240_000 + i * 11))).not.toBeNull();
    sim.enterCode('240000');
    await eventually(
      () => countSince(h, logFrom, since).events.get('lock.unlocked') === 1,
      10_000,
      'the keypad use through the noise',
    );
    const counts = countSince(h, logFrom, since);
    expect(counts.events.get('access_code.set_on_device')).toBe(12);
    expect(counts.events.get('device.disconnected') ?? 0).toBe(0);
    expect(counts.events.get('lock.locked') ?? 0).toBe(0);
    expect(counts.errors).toBe(0);
    expect([...counts.loud.values()].reduce((a, b) => a + b, 0)).toBe(0);
    record('lockwire: noise on every frame, 6 corrupted frames, 6 lost answers, 12 codes', counts);
  });

  it('a burst of lost frames longer than the re-sends: offline once, back once, said once', async () => {
    const { h, sim, device_id } = await serialBridge();
    const ids = await createMany(h, device_id, 2, 250_000);
    await allSet(h, ids);
    const logFrom = h.log.chunks.length;
    const since = Date.now();
    sim.faults.silent = true;
    // Nobody polls an idle lock: the next command finds it silent (its re-sends, then GET_INFO).
    const more = await createMany(h, device_id, 1, 250_100);
    await eventually(
      () => countSince(h, logFrom, since).events.get('device.disconnected') === 1,
      20_000,
      'offline',
    );
    // Silent for a while: probes back off, and say nothing more.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    sim.faults.silent = false;
    await eventually(
      () => countSince(h, logFrom, since).events.get('device.connected') === 1,
      20_000,
      'back',
    );
    await allSet(h, [...ids, ...more]);
    const counts = countSince(h, logFrom, since);
    expect(counts.events.get('device.disconnected')).toBe(1);
    expect(counts.events.get('lock.locked') ?? 0).toBe(0); // the status read on reconnect is no action
    expect(counts.errors).toBe(0);
    // Offline, probing, the write that went unanswered: each said once, whatever the retries.
    expect([...counts.loud].filter(([, n]) => n > 1)).toEqual([]);
    expect(counts.loud.size).toBeLessThanOrEqual(3);
    record('lockwire: silent 4 s+ (offline), then back', counts);
  });

  it('factory resets (and plain reboots): every code programmed again, no lock.locked from the readings', async () => {
    const { h, sim, device_id } = await serialBridge();
    const ids = await createMany(h, device_id, 10, 510_000);
    await allSet(h, ids);
    const logFrom = h.log.chunks.length;
    const since = Date.now();
    for (let round = 0; round < 3; round++) {
      const reboots = h.log.text.split('lock rebooted;').length;
      sim.reboot(round !== 1); // factory reset, plain reboot, factory reset
      await eventually(() => h.log.text.split('lock rebooted;').length > reboots, 20_000, 'the reboot heard');
      await eventually(() => sim.model.occupiedSlots().length === 10, 20_000, `round ${round}: codes back`);
      await allSet(h, ids);
    }
    const counts = countSince(h, logFrom, since);
    // Two factory resets: each code written again twice; the plain reboot rewrote nothing.
    expect(counts.events.get('access_code.set_on_device')).toBe(20);
    expect(counts.events.get('lock.locked') ?? 0).toBe(0); // the bolt never moved
    expect(counts.events.get('access_code.modified_externally') ?? 0).toBe(0);
    // The codes the resets wiped are reported gone at the lock, at most once each a reset.
    expect(counts.events.get('access_code.deleted_externally') ?? 0).toBeLessThanOrEqual(20);
    expect(counts.errors).toBe(0);
    expect(counts.loud.get('lock rebooted') ?? 0).toBeLessThanOrEqual(3);
    expect([...counts.loud.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(6); // 2 lines a reboot
    record('lockwire: 2 factory resets and a reboot, 10 codes', counts);
  });

  it('a firmware that sends oversize SLOTS or ignores READ_SLOTS: read slot by slot, warned once, never offline', async () => {
    for (const [name, fault] of [
      ['oversize SLOTS', { oversizeSlotsAbove: 0 }],
      ['no READ_SLOTS', { ignoreReadSlots: true }],
    ] as const) {
      const { h, sim, device_id } = await serialBridge({ serial_number: `LK-FW-${name.length}` });
      Object.assign(sim.faults, fault);
      const logFrom = h.log.chunks.length;
      const since = Date.now();
      sim.reboot(false); // read again, now with the firmware fault
      await eventually(
        () => countSince(h, logFrom, since).loud.size > 0,
        20_000,
        `${name}: the fallback noticed`,
      );
      const ids = await createMany(h, device_id, 6, 620_000);
      await allSet(h, ids, 30_000);
      sim.reboot(false);
      await eventually(() => h.log.text.split('lock rebooted').length - 1 >= 4, 20_000, 'the second reboot');
      await allSet(h, ids, 30_000);
      const counts = countSince(h, logFrom, since);
      expect(counts.events.get('device.disconnected') ?? 0, name).toBe(0);
      expect(counts.errors, name).toBe(0);
      const fallbackWarnings = [...counts.loud].filter(([msg]) => !msg.startsWith('lock rebooted'));
      expect(fallbackWarnings.length, `${name}: ${JSON.stringify(fallbackWarnings)}`).toBe(1);
      expect(fallbackWarnings[0]![1], name).toBe(1);
      record(`lockwire: ${name}, 2 reboots, 6 codes`, counts);
      for (const clean of cleanups.splice(0).reverse()) await clean();
    }
  });
});
