// lockbridge backup while the daemon runs and writes; lockbridge restore refused beside it, then
// done once it stopped: the store comes back as it was at the backup, the replaced one is kept,
// every file 0600.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, expect, it } from 'vitest';
import { ApiClient, eventually } from '../helpers/api-client.ts';
import { type Daemon, runLockbridge, startDaemon } from '../helpers/daemon.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

const mode = (path: string) => statSync(path).mode & 0o777;
const codesIn = (file: string) => {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (
      db.prepare('SELECT access_code_id FROM access_codes').all() as Array<{ access_code_id: string }>
    ).map((r) => r.access_code_id);
  } finally {
    db.close();
  }
};

it('backs up a running bridge while it writes, refuses to restore beside it, restores once it stopped', async () => {
  const broker: Broker = await startMosquitto();
  cleanups.push(() => broker.stop());
  const dir = mkdtempSync(join(tmpdir(), 'lockbridge-backup-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'gateway_id: backup-test',
      `data_dir: ${data}`,
      `mqtt: { url: "${broker.url}" }`,
      'locks:',
      '  - { name: Front door, driver: simulated, simulated: { slots: 200, serial_number: BK-1, latency_ms: 2 } }',
    ].join('\n'),
  );
  const api = await ApiClient.connect(broker.url, 'lockbridge/backup-test');
  cleanups.push(() => api.close());
  let daemon: Daemon = startDaemon(config);
  cleanups.push(() => daemon.proc.kill('SIGKILL'));
  await daemon.waitFor('"lock online"');
  const device = (await api.request('devices/list')).devices[0];
  const create = async (n: number) =>
    (await api.request('access_codes/create', { device_id: device.device_id, code: String(100000 + n * 7) }))
      .access_code.access_code_id as string;
  const before = [await create(1), await create(2)];

  // The daemon keeps writing while the backup runs.
  let writing = true;
  const during: Promise<string>[] = [];
  const writer = (async () => {
    for (let n = 10; writing && n < 150; n++) during.push(create(n));
  })();
  const out = join(dir, 'backups', 'lockbridge.db');
  mkdirSync(join(dir, 'backups'));
  const backup = await runLockbridge(['backup', '--config', config, out]);
  writing = false;
  await writer;
  await Promise.all(during);
  expect(backup.code).toBe(0);
  expect(backup.output).toMatch(
    /^backup of .* written to .*lockbridge\.db: \d+ bytes, schema \d+, 1 devices, \d+ access codes, integrity ok/,
  );
  expect(mode(out)).toBe(0o600);
  expect(readdirSync(join(dir, 'backups'))).toEqual(['lockbridge.db']); // no partial file left
  const inBackup = codesIn(out);
  for (const id of before) expect(inBackup).toContain(id);

  // Beside the running daemon: refused, nothing touched.
  const refused = await runLockbridge(['restore', '--config', config, out]);
  expect(refused.code).toBe(1);
  expect(refused.output).toContain(`lockbridge restore: refused: another lockbridge is running on ${data}`);
  expect(refused.output).toContain('stop it first (systemctl stop lockbridge)');
  expect(daemon.proc.exitCode).toBeNull();

  const after = await create(500); // made after the backup: gone once it is restored
  daemon.proc.kill('SIGTERM');
  expect(await daemon.exited).toBe(0);

  const restored = await runLockbridge(['restore', '--config', config, out]);
  expect(restored.code).toBe(0);
  expect(restored.output).toContain(`restored ${out} into ${data}`);
  const kept = readdirSync(data).find((n) => n.startsWith('lockbridge.db.before-restore-'))!;
  expect(restored.output).toContain(`the store it replaced is kept as ${join(data, kept)}`);
  for (const name of readdirSync(data)) {
    if (name.endsWith('.sock')) continue;
    expect([name, mode(join(data, name))]).toEqual([name, 0o600]);
  }
  expect(codesIn(join(data, kept))).toContain(after);

  daemon = startDaemon(config);
  await daemon.waitFor('"lock online"');
  for (const id of before)
    expect((await api.request('access_codes/get', { access_code_id: id })).ok).toBe(true);
  const gone = await api.request('access_codes/get', { access_code_id: after });
  expect(gone.error.type).toBe('access_code_not_found');
  // The restored codes are programmed on the lock again.
  await eventually(
    async () =>
      (await api.request('access_codes/get', { access_code_id: before[0] })).access_code.status === 'set',
    15_000,
    'a restored code set on the lock',
  );
}, 120_000);
