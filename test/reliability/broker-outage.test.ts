// The broker goes away for 30 s while the bridge works on: killed with persistence (sessions and
// retained state come back), killed without (a new session: subscribed again before online, every
// retained topic published again), and paused with SIGSTOP (connected but silent). Each time every
// event made meanwhile reaches the broker, a request sent meanwhile is answered, the locks get
// their codes, and the log says the outage once instead of once per retry.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, eventually } from '../helpers/api-client.ts';
import { Harness, ROOT, simulatedDriver } from '../helpers/bridge-harness.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { retained } from '../transports/support.ts';

const OUTAGE_MS = 30_000;

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

async function setUp(persistence: boolean) {
  const broker = await startMosquitto({ persistence, autosaveSeconds: 1 });
  cleanups.push(() => broker.stop());
  const h = new Harness(simulatedDriver([{ name: 'Front' }, { name: 'Back', latency_ms: 20 }]), {
    brokerUrl: broker.url,
    yaml: 'log: { level: debug }',
  });
  cleanups.push(async () => {
    await h.stop().catch(() => undefined);
    h.cleanup();
  });
  await h.startOnline();
  const api = await ApiClient.connect(broker.url, ROOT); // a persistent session (clean: false)
  cleanups.push(() => api.close());
  // A first code through the broker, so the outage starts from a working system.
  const first = await api.request('access_codes/create', { device_id: h.deviceId(0), code: '100200' });
  await api.waitForEvent(
    (e) =>
      e.event_type === 'access_code.set_on_device' && e.access_code_id === first.access_code.access_code_id,
  );
  return { broker, h, api };
}

/** What the bridge does while the broker is away: codes created and set, a keypad use, a delete. */
async function workMeanwhile(h: Harness): Promise<string[]> {
  const ids: string[] = [];
  for (const [lock, code] of [
    [0, '482916'],
    [1, '613094'],
    [1, '705112'],
  ] as const) {
    const created = await h.call('access_codes/create', { device_id: h.deviceId(lock), code });
    expect(created.ok).toBe(true);
    ids.push(created.access_code.access_code_id);
  }
  await eventually(
    async () => {
      for (const id of ids) {
        if ((await h.call('access_codes/get', { access_code_id: id })).access_code.status !== 'set')
          return false;
      }
      return true;
    },
    10_000,
    'the codes set while the broker is away',
  );
  h.lock(0).enterCode('482916');
  await h.call('access_codes/delete', { access_code_id: ids.pop()! });
  await eventually(() => h.lock(1).model.occupiedSlots().length === 1, 10_000, 'the deleted code removed');
  return ids;
}

/** Warnings and errors logged since `from` (a line index into the captured log). */
function loudLines(h: Harness, from: number): Array<{ msg: string; level: number }> {
  return h.log.chunks
    .slice(from)
    .map((chunk) => JSON.parse(chunk) as { msg: string; level: number })
    .filter((line) => line.level >= 40);
}

/** Every event the store holds was acknowledged by the broker (the mqtt cursor passed it). */
function everyEventAcknowledged(h: Harness): boolean {
  return h.bridge.store.events.backlogs().every((b) => b.undelivered === 0);
}

async function requestDuringOutage(api: ApiClient, deviceId: string) {
  // mqtt.js keeps a QoS 1 publish made while disconnected and sends it on reconnect.
  return api.request(
    'access_codes/create',
    { device_id: deviceId, code: '909090', request_id: randomUUID() },
    120_000,
  );
}

describe('the broker away for 30 s', () => {
  it('killed, with persistence: every event made meanwhile reaches a client with a persistent session', async () => {
    const { broker, h, api } = await setUp(true);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // the broker's autosave has it all
    const logFrom = h.log.chunks.length;
    const since = Date.now();
    await broker.kill();
    const answer = requestDuringOutage(api, h.deviceId(0));
    const started = Date.now();
    const live = await workMeanwhile(h);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - started)));
    await broker.restart();

    expect((await answer).ok).toBe(true);
    const made = h.bridge.store.events.list({ since, limit: 1000 }).map((e) => e.event_id);
    expect(made.length).toBeGreaterThanOrEqual(8);
    await eventually(
      () => made.every((id) => api.events.some((e) => e.event_id === id)),
      60_000,
      'every event made during the outage delivered',
    );
    for (const id of live) {
      const state = JSON.parse((await retained(broker.url, `${ROOT}/access_codes/${id}`))!.text);
      expect(state.status).toBe('set');
    }
    // Once when it started, once when it ended: not once per reconnect attempt.
    const loud = loudLines(h, logFrom);
    expect(loud.map((l) => l.msg)).toEqual(['MQTT broker unreachable; retrying']);
    expect(h.log.text.split('MQTT broker reachable again').length - 1).toBe(1);
  });

  it('killed, without persistence: a new session, subscribed again, every retained topic published again', async () => {
    const { broker, h, api } = await setUp(false);
    const logFrom = h.log.chunks.length;
    await broker.kill();
    // (No request meanwhile: a broker that forgot every session drops a request nobody is
    // subscribed to yet. That is MQTT; what the bridge owes is to be subscribed before online.)
    const started = Date.now();
    const live = await workMeanwhile(h);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - started)));
    await broker.restart();

    await eventually(() => everyEventAcknowledged(h), 60_000, 'every event acknowledged by the broker');
    await eventually(
      () => h.log.text.includes('every retained topic published again'),
      10_000,
      'the retained topics published again',
    );
    for (const id of live) {
      expect(JSON.parse((await retained(broker.url, `${ROOT}/access_codes/${id}`))!.text)).toMatchObject({
        access_code_id: id,
      });
    }
    for (const lock of [0, 1]) {
      expect(await retained(broker.url, `${ROOT}/devices/${h.deviceId(lock)}`)).not.toBeNull();
    }
    expect((await retained(broker.url, `${ROOT}/bridge/state`))!.text).toBe('{"state":"online"}');
    // A request sent once it is back is answered: the subscription is back too.
    await eventually(async () => (await api.request('devices/list', {}, 2000).catch(() => null))?.ok, 30_000);
    const loud = loudLines(h, logFrom);
    expect(loud.map((l) => l.msg)).toEqual(['MQTT broker unreachable; retrying']);
  });

  it('paused (SIGSTOP): nothing is taken for delivered until it answers; then everything is', async () => {
    const { broker, h, api } = await setUp(true);
    const logFrom = h.log.chunks.length;
    const since = Date.now();
    broker.pause();
    const answer = requestDuringOutage(api, h.deviceId(0));
    const started = Date.now();
    await workMeanwhile(h);
    // Connected but silent: the bridge has published, the broker acknowledged nothing.
    expect(everyEventAcknowledged(h)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - started)));
    broker.resume();

    expect((await answer).ok).toBe(true);
    const made = h.bridge.store.events.list({ since, limit: 1000 }).map((e) => e.event_id);
    await eventually(
      () => made.every((id) => api.events.some((e) => e.event_id === id)),
      60_000,
      'every event made during the pause delivered',
    );
    await eventually(() => everyEventAcknowledged(h), 10_000, 'every event acknowledged');
    // A 30 s pause is shorter than the keepalive: maybe no outage at all, at most one, said once.
    const loud = loudLines(h, logFrom).map((l) => l.msg);
    expect(loud.filter((m) => m !== 'MQTT broker unreachable; retrying')).toEqual([]);
    expect(loud.length).toBeLessThanOrEqual(1);
  });
});
