// The real daemon as a child process (lockbridge run), killed with SIGKILL right after it
// acknowledged a request: the request survives, and the code reaches the lock after the restart.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ApiClient, eventually } from '../helpers/api-client.ts';
import { type Daemon, startDaemon } from '../helpers/daemon.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { showsPin } from '../helpers/pins.ts';

let broker: Broker | undefined;
let api: ApiClient | undefined;
let daemon: Daemon | undefined;
let dir: string | undefined;

afterEach(async () => {
  daemon?.proc.kill('SIGKILL');
  await api?.close();
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('an acknowledged request survives kill -9, and the code is set after the restart', async () => {
  broker = await startMosquitto();
  dir = mkdtempSync(join(tmpdir(), 'lockbridge-kill-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'gateway_id: kill-test',
      `data_dir: ${join(dir, 'data')}`,
      `mqtt: { url: "${broker.url}" }`,
      'log: { level: debug }',
      'timing: { retry_base_ms: 50, retry_max_ms: 500 }',
      'locks:',
      '  - name: Front door',
      '    driver: simulated',
      '    simulated: { slots: 10, latency_ms: 2000, serial_number: KILL-1 }',
    ].join('\n'),
  );
  api = await ApiClient.connect(broker.url, 'lockbridge/kill-test');
  let run = startDaemon(config);
  daemon = run;
  await run.waitFor('ready');
  const devices = await eventually(
    async () => {
      const list = await api!.request('devices/list');
      return list.devices?.[0]?.properties?.online ? list.devices : null;
    },
    20_000,
    'lock online',
  );

  const created = await api.request('access_codes/create', {
    request_id: 'kill-1',
    device_id: devices[0].device_id,
    code: '482916',
  });
  expect(created.ok).toBe(true);
  run.proc.kill('SIGKILL'); // the write to the lock (2 s) is still on its way
  await run.exited;

  run = startDaemon(config);
  daemon = run;
  const id = created.access_code.access_code_id;
  await api.waitForEvent(
    (e) => e.event_type === 'access_code.set_on_device' && e.access_code_id === id,
    30_000,
  );
  const got = await api.request('access_codes/get', { access_code_id: id });
  expect(got.access_code.status).toBe('set');
  // The same request again is answered from the store, not executed twice.
  const again = await api.request('access_codes/create', {
    request_id: 'kill-1',
    device_id: devices[0].device_id,
    code: '482916',
  });
  expect(again.access_code.access_code_id).toBe(id);
  expect(showsPin(run.output(), '482916')).toBe(false);
}, 90_000);
