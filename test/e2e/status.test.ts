// lockbridge status: a running daemon answers on its socket (here with its broker away, so there
// is something to see); one that does not answer is read from the store beside it; a stopped one
// is read from its store. Files a root `status` makes SQLite create go back to data_dir's owner.
import { chownSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { SOCKET_FILE } from '../../src/app/control-socket.ts';
import { type Daemon, runLockbridge, startDaemon } from '../helpers/daemon.ts';

let dir: string | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  daemon?.proc.kill('SIGKILL');
  await daemon?.exited;
  if (dir) rmSync(dir, { recursive: true, force: true });
  daemon = dir = undefined;
});

function setUp(): { config: string; data: string } {
  dir = mkdtempSync(join(tmpdir(), 'lockbridge-status-'));
  const config = join(dir, 'config.yaml');
  const data = join(dir, 'data');
  writeFileSync(
    config,
    [
      'gateway_id: status-test',
      `data_dir: ${data}`,
      'mqtt: { url: "mqtt://127.0.0.1:1" }', // nothing listens there
      'locks:',
      '  - { name: Front door, driver: simulated, simulated: { serial_number: ST-1, latency_ms: 5 } }',
    ].join('\n'),
  );
  return { config, data };
}

it('reports a running bridge from itself, one that does not answer and a stopped one from the store', async () => {
  const { config, data } = setUp();
  const before = await runLockbridge(['status', '--config', config]);
  expect(before.code).toBe(1);
  expect(before.output).toContain(`lockbridge status-test: not running; no store in ${data}`);

  daemon = startDaemon(config);
  await daemon.waitFor('"lock online"');

  const json = await runLockbridge(['status', '--config', config, '--json']);
  expect(json.code).toBe(0);
  const { running, info } = JSON.parse(json.output);
  expect(running).toBe(true);
  expect(info).toMatchObject({
    gateway_id: 'status-test',
    broker_connected: false,
    locks: { online: 1, offline: 0 },
    last_errors: { mqtt: { level: 'warn', message: 'MQTT broker unreachable; retrying' } },
  });
  expect(info.transports.mqtt.reason).toMatch(/^nothing accepts connections at the broker's address/);
  expect(info.last_errors.mqtt.reason).toMatch(/^nothing accepts connections/);
  // The broker is away: device.connected and the rest wait for it.
  const [backlog] = info.event_backlog;
  expect(backlog.consumer).toBe('mqtt');
  expect(backlog.undelivered).toBeGreaterThan(0);
  expect(backlog.oldest_undelivered_age_s).toBeGreaterThanOrEqual(0);

  const text = await runLockbridge(['status', '--config', config]);
  expect(text.code).toBe(0);
  expect(text.output).toMatch(/^lockbridge status-test: running \(version 0\.1\.0, up \d+ s\)/);
  expect(text.output).toContain('  mqtt: NOT connected');
  expect(text.output).toContain('  locks: 1 online, 0 offline');
  expect(text.output).toMatch(/events not yet delivered: mqtt \d+ \(oldest /);
  expect(text.output).toContain('    mqtt: warn at ');

  // A second daemon on the same data directory refuses to start.
  const second = await runLockbridge(['run', '--config', config]);
  expect(second.code).toBe(1);
  expect(second.output).toContain(`another lockbridge is running on ${data}`);

  // A daemon that holds its store but does not answer (hung, say): read beside it, read-only.
  rmSync(join(data, SOCKET_FILE));
  const beside = await runLockbridge(['status', '--config', config]);
  expect(beside.code).toBe(1);
  expect(beside.output).toContain('a daemon holds the store but does not answer on its status socket');
  expect(beside.output).toContain('locks known: 1 (Front door)');
  expect(daemon.proc.exitCode).toBeNull(); // untouched by it

  daemon.proc.kill('SIGTERM');
  expect(await daemon.exited).toBe(0);
  chownSync(data, 65534, 65534); // as if the service's user owned it; status runs as root here
  const stopped = await runLockbridge(['status', '--config', config]);
  expect(stopped.code).toBe(3);
  expect(stopped.output).toContain(`lockbridge status-test: not running; what the store in ${data} says:`);
  expect(stopped.output).toContain('locks known: 1 (Front door)');
  expect(stopped.output).toMatch(/events not yet delivered: mqtt [1-9]/);
  for (const name of readdirSync(data).filter((n) => n.startsWith('lockbridge.'))) {
    expect([name, statSync(join(data, name)).uid]).toEqual([name, 65534]);
  }
}, 90_000);
