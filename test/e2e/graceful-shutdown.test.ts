// SIGTERM in the middle of programming a lockwire lock (real pty, the lock simulator): the daemon
// lets the command in flight finish, publishes what it changed and then offline, closes the store
// and exits 0; after the restart nothing is lost and nothing is written twice. And a command that
// never ends is abandoned within the shutdown budget; the next start finds the code on the lock.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Request } from '../../drivers/serial/lockwire/messages.ts';
import { ApiClient, eventually } from '../helpers/api-client.ts';
import { Harness, ROOT } from '../helpers/bridge-harness.ts';
import { type Daemon, startDaemon } from '../helpers/daemon.ts';
import { lockwireLock } from '../helpers/lockwire-lock.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { showsPin } from '../helpers/pins.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

async function serialLock(serial: string) {
  const { dir, pty, sim } = await lockwireLock(serial, cleanups);
  const writes: Array<Extract<Request, { type: 'write_slot' }>> = [];
  sim.on('executed', (request) => {
    if (request.type === 'write_slot') writes.push(request);
  });
  return { dir, pty, sim, writes };
}

it('SIGTERM while a write is on its way: the lock confirms, the events go out, offline, exit 0; after the restart nothing is written again', async () => {
  const broker: Broker = await startMosquitto();
  cleanups.push(() => broker.stop());
  const { dir, pty, sim, writes } = await serialLock('LK-STOP-1');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'gateway_id: test-hub',
      `data_dir: ${join(dir, 'data')}`,
      `mqtt: { url: "${broker.url}" }`,
      'locks:',
      `  - { name: Front door, driver: serial, serial: { path: ${pty.hostPath}, response_timeout_ms: 3000 } }`,
    ].join('\n'),
  );
  const api = await ApiClient.connect(broker.url, ROOT);
  cleanups.push(() => api.close());
  let daemon: Daemon = startDaemon(config);
  cleanups.push(() => daemon.proc.kill('SIGKILL'));
  await daemon.waitFor('"ready"');
  const online = async () =>
    eventually(
      async () =>
        (await api.request('devices/list')).devices.find(
          (d: { properties: { online: boolean } }) => d.properties.online,
        ),
      20_000,
      'the lock online',
    );
  const device = await online();

  sim.faults.delayMs = 1500; // the lock takes its time to answer the write
  const terminated = new Promise<void>((resolve) => {
    sim.on('executed', (request) => {
      if (request.type !== 'write_slot') return;
      daemon.proc.kill('SIGTERM'); // the write is in flight: carried out, not yet answered
      resolve();
    });
  });
  const created = await api.request('access_codes/create', { device_id: device.device_id, code: '482916' });
  const id = created.access_code.access_code_id;
  await terminated;
  expect(await daemon.exited).toBe(0);
  sim.faults.delayMs = 0;

  // The answer came during the shutdown and was recorded, and its events reached the broker
  // before the bridge said offline.
  await api.waitForEvent((e) => e.event_type === 'access_code.set_on_device' && e.access_code_id === id);
  await eventually(
    () => api.retained.get('bridge/state') === '{"state":"offline"}',
    5000,
    'offline retained',
  );
  const said = daemon.lines().map((l) => l.msg);
  expect(said.indexOf('stopping')).toBeLessThan(said.indexOf('stopped'));
  expect(said).not.toContain(
    'a lock command was still in flight at shutdown; abandoned (its outcome is checked at the next start)',
  );

  daemon = startDaemon(config);
  await daemon.waitFor('"ready"');
  await online();
  await eventually(() => api.retained.get('bridge/state') === '{"state":"online"}', 10_000, 'online again');
  const got = await api.request('access_codes/get', { access_code_id: id });
  expect(got.access_code.status).toBe('set');
  expect(writes.filter((w) => w.code === '482916')).toHaveLength(1);
  expect(api.eventsOf('access_code.set_on_device', id)).toHaveLength(1);
  expect(showsPin(daemon.output(), '482916')).toBe(false);
}, 90_000);

it('a command that gets no answer is abandoned at shutdown; the next start finds the code on the lock and writes nothing', async () => {
  const { dir, pty, sim, writes } = await serialLock('LK-STOP-2');
  const yaml = `locks:\n  - { name: Front door, driver: serial, serial: { path: ${pty.hostPath}, response_timeout_ms: 5000 } }\n`;
  const first = new Harness(null, { yaml, dataDir: join(dir, 'data'), commandWaitMs: 200 });
  cleanups.push(() => first.cleanup());
  await first.start();
  const deviceId = await eventually(
    () => first.bridge.store.devices.list().find((d) => d.online)?.device_id,
    10_000,
    'the lock online',
  );
  sim.on('executed', (request) => {
    if (request.type !== 'write_slot') return;
    // Carried out, and from now on the lock says nothing: its answer to the write is lost and
    // the driver's re-sends go unanswered.
    sim.faults.loseResponses(1);
    sim.faults.silent = true;
  });
  const created = await first.call('access_codes/create', { device_id: deviceId, code: '613094' });
  await eventually(() => writes.length === 1, 10_000, 'the write to reach the lock');
  await first.stop();
  expect(first.log.text).toContain(
    'a lock command was still in flight at shutdown; abandoned (its outcome is checked at the next start)',
  );
  sim.faults.silent = false;

  const second = new Harness(null, { yaml, dataDir: join(dir, 'data') });
  cleanups.push(async () => {
    await second.stop();
    second.cleanup();
  });
  await second.start();
  const id = created.access_code.access_code_id;
  await eventually(() => second.bridge.store.codes.get(id)?.status === 'set', 10_000, 'the code found set');
  expect(writes).toHaveLength(1);
}, 60_000);
