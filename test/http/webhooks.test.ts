// Webhooks as Seam delivers them, received by a server that verifies each with Seam's own
// @seamapi/webhook: across a restart of the bridge and an endpoint that is down for a while, every
// event arrives, in order; a dead endpoint holds back neither MQTT nor another endpoint.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, eventually } from '../helpers/api-client.ts';
import { Harness, ROOT, simulatedDriver } from '../helpers/bridge-harness.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { newWebhookSecret, WebhookReceiver } from '../helpers/webhook-receiver.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

/** A temp dir for the secret files. */
function secretsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lockbridge-webhook-secrets-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function receiver(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start(newWebhookSecret());
  cleanups.push(() => r.close());
  return r;
}

/** The YAML of webhook endpoints, their secrets written to files in `dir`. */
function webhooksYaml(
  dir: string,
  endpoints: Array<{ id: string; r: WebhookReceiver; types?: string[] }>,
): string {
  const entries = endpoints.map(({ id, r, types }) => {
    const file = join(dir, `${id}.secret`);
    writeFileSync(file, `${r.secret}\n`, { mode: 0o600 });
    return {
      id,
      url: r.url,
      secret_file: file,
      retry_base_ms: 20,
      retry_max_ms: 100,
      timeout_s: 2,
      ...(types ? { event_types: types } : {}),
    };
  });
  return JSON.stringify({ webhooks: entries });
}

/** Event ids in the log, oldest first, for the event types given (all when none). */
function logIds(h: Harness, types?: string[]): string[] {
  return h.bridge.store.events
    .list({ since: 0, limit: 10_000, ...(types ? { event_types: types } : {}) })
    .map((e) => e.event_id);
}

/** What bridge/info says now: the retained bridge/info topic. */
function bridgeInfo(api: ApiClient): Record<string, unknown> {
  return JSON.parse(api.retained.get('bridge/info') ?? '{}') as Record<string, unknown>;
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('webhooks', () => {
  it('every event, verified, in order, across an endpoint outage and a restart of the bridge; MQTT and a second endpoint are not held back', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const dead = await receiver();
    const live = await receiver();
    const driver = simulatedDriver([{ name: 'Front door', latency_ms: 10 }]);
    const dir = secretsDir();
    const yaml = webhooksYaml(dir, [
      { id: 'cloud', r: dead },
      { id: 'audit', r: live },
    ]);
    const first = new Harness(driver, { brokerUrl: broker.url, yaml });
    cleanups.push(() => first.cleanup());
    await first.startOnline();
    const api = await ApiClient.connect(broker.url, ROOT);
    cleanups.push(() => api.close());

    const created = await first.call('access_codes/create', { device_id: first.deviceId(), code: '482916' });
    const a = created.access_code.access_code_id as string;
    await dead.waitFor(
      (r) => r.deliveries.some((d) => d.event_type === 'access_code.set_on_device'),
      'A set',
    );

    // The endpoint goes away: first refusing (503), then not even listening.
    dead.failing = true;
    await first.call('access_codes/update', { access_code_id: a, name: 'Guest' });
    await dead.waitFor((r) => r.refused > 2, 'retries refused');
    await dead.down();
    const b = (await first.call('access_codes/create', { device_id: first.deviceId(), code: '613094' }))
      .access_code.access_code_id as string;
    // MQTT and the other endpoint get B's events while the dead one waits.
    await api.waitForEvent((e) => e.event_type === 'access_code.set_on_device' && e.access_code_id === b);
    await live.waitFor(
      (r) => r.deliveries.some((d) => d.access_code_id === b && d.event_type === 'access_code.set_on_device'),
      'live got B',
    );
    // The outage shows in bridge/info and once in the log.
    await eventually(
      () => {
        const hooks = bridgeInfo(api).webhooks as Array<{ id: string; state: string; last_error: string }>;
        return hooks?.find((w) => w.id === 'cloud')?.state === 'failing';
      },
      5000,
      'bridge/info says failing',
    );
    const info = bridgeInfo(api);
    expect((info.webhooks as Array<Record<string, unknown>>).find((w) => w.id === 'audit')).toMatchObject({
      state: 'delivering',
    });
    expect(info.event_backlog).toEqual(
      expect.arrayContaining([expect.objectContaining({ consumer: 'webhook:cloud' })]),
    );
    await first.stop();

    // A restart while the endpoint is still down; more events; then the endpoint comes back.
    const second = new Harness(driver, {
      brokerUrl: broker.url,
      yaml,
      dataDir: first.dataDir,
      log: first.log,
    });
    await second.startOnline();
    cleanups.push(() => second.stop());
    await second.call('locks/unlock_door', { device_id: second.deviceId() });
    await second.call('access_codes/delete', { access_code_id: b });
    await eventually(() => driver.locks[0]!.model.slotWithCode('613094') === null, 5000, 'B removed');
    dead.failing = false;
    await dead.up();

    const expected = logIds(second);
    await dead.waitFor((r) => r.uniqueIds().length === expected.length, 'every event delivered', 15_000);
    expect(dead.rejected).toEqual([]);
    expect(dead.uniqueIds()).toEqual(expected); // nothing lost, oldest first
    expect(live.uniqueIds()).toEqual(expected);
    const log = second.log.text;
    expect(count(log, 'webhook endpoint does not take events')).toBe(2); // once per outage, per run
    expect(count(log, 'webhook endpoint takes events again')).toBe(1);
    await eventually(
      () => {
        const hooks = bridgeInfo(api).webhooks as Array<{ id: string; state: string }>;
        return hooks?.find((w) => w.id === 'cloud')?.state === 'delivering';
      },
      5000,
      'bridge/info says delivering again',
    );
  });

  it('an endpoint with event_types gets only those', async () => {
    const r = await receiver();
    const driver = simulatedDriver([{ name: 'Front door' }]);
    const dir = secretsDir();
    const h = new Harness(driver, {
      yaml: webhooksYaml(dir, [{ id: 'set-only', r, types: ['access_code.set_on_device'] }]),
    });
    cleanups.push(async () => {
      await h.stop();
      h.cleanup();
    });
    await h.startOnline();
    for (const code of ['482916', '613094'])
      await h.call('access_codes/create', { device_id: h.deviceId(), code });
    await r.waitFor((x) => x.uniqueIds().length === 2, 'two set_on_device');
    expect(r.deliveries.map((d) => d.event_type)).toEqual([
      'access_code.set_on_device',
      'access_code.set_on_device',
    ]);
    expect(r.uniqueIds()).toEqual(logIds(h, ['access_code.set_on_device']));
  });
});
