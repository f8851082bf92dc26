// A full disk and a read-only data_dir under a real daemon (`lockbridge run` as the kill -9 rounds
// run it: a simulated lock and a lockwire lock on a pty, the real MQTT transport to a real
// Mosquitto): the store sits on a real small tmpfs that is filled up and remounted read-only while
// the daemon runs, and while it is down. What must hold: the daemon never dies of it; requests that
// would write are answered storage_unavailable, reads go on; what the locks report waits in memory
// and is written once the disk is back; the outage is one line and shows in bridge/info; a code
// waiting on an offline lock, with its deadline passing meanwhile, backs off instead of spinning; it
// recovers by itself; started on a full disk it comes online, and on a read-only one it comes
// online read-only and exits 75 (systemd starts it again) once the disk takes writes.
// Mounting needs root; elsewhere this file is skipped, saying so.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockSimulator } from '../../drivers/serial/simulator/lock-simulator.ts';
import { PtyPair } from '../../drivers/serial/simulator/pty-pair.ts';
import { type ApiBody, ApiClient, eventually } from '../helpers/api-client.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { showsPin } from '../helpers/pins.ts';
import { mountable, type SmallDisk, smallDisk } from '../helpers/small-disk.ts';
import { DaemonProcess } from './support/daemon-process.ts';

const ROOT = 'lockbridge/disk';
const PINS = ['482916', '593027', '604138', '715249', '826350'];

let dir: string;
let disk: SmallDisk;
let broker: Broker;
let pty: PtyPair;
let lock: LockSimulator;
let daemon: DaemonProcess;
let api: ApiClient;

/** The daemon's lines with this message (from the start of `from`, a line index), parsed. */
const said = (msg: string, from = 0) =>
  daemon
    .lines()
    .slice(from)
    .filter((line) => line.msg.startsWith(msg));

const storage = () => {
  const info = api.retained.get('bridge/info');
  return info ? (JSON.parse(info).storage as { writable: boolean }) : undefined;
};

/** The lock simulator, made once: closed and opened again, it keeps its slots, as a lock does. */
async function openLock(): Promise<void> {
  if (lock) {
    await lock.open(pty.lockPath);
    return;
  }
  lock = new LockSimulator({
    slots: 20,
    min_code_length: 4,
    max_code_length: 8,
    can_read_codes: true,
    supports_native_scheduling: false,
    serial_number: 'LK-DISK-1',
    has_clock: true,
    // A patient lock: it keeps re-sending a keypad event the daemon has not acknowledged.
    event_resends: 60,
  });
  await lock.open(pty.lockPath);
}

beforeAll(async () => {
  if (!mountable) return;
  dir = mkdtempSync(join(tmpdir(), 'lockbridge-disk-rel-'));
  disk = smallDisk();
  broker = await startMosquitto();
  pty = new PtyPair(join(dir, 'host'), join(dir, 'lock'));
  await pty.plug();
  await openLock();
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'gateway_id: disk',
      `data_dir: ${disk.dataDir}`,
      `mqtt: { url: "${broker.url}" }`,
      'log: { level: debug }',
      // A short warning deadline, so that one passes while the disk is full.
      'timing: { retry_base_ms: 50, retry_max_ms: 500, delay_warning_after_s: 2 }',
      'locks:',
      '  - name: Sim',
      '    driver: simulated',
      '    simulated: { slots: 20, latency_ms: 20, serial_number: DISK-SIM-1 }',
      '  - name: Serial door',
      '    driver: serial',
      `    serial: { path: ${pty.hostPath}, response_timeout_ms: 200 }`,
    ].join('\n'),
  );
  daemon = new DaemonProcess(config, join(dir, 'lock-memory.json'));
  api = await ApiClient.connect(broker.url, ROOT);
});

afterAll(async () => {
  if (!mountable) return;
  await daemon?.kill();
  await api?.close();
  await lock?.close();
  await pty?.unplug();
  await broker?.stop();
  disk?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function devices(): Promise<{ sim: string; serial: string }> {
  const list = (await eventually(
    async () => {
      const body = await api.request('devices/list', {}, 20_000);
      const online = (body.devices ?? []).filter((d: ApiBody) => d.properties.online);
      return online.length === 2 ? (body.devices as ApiBody[]) : null;
    },
    30_000,
    'both locks online',
  ))!;
  return {
    sim: list.find((d) => d.driver === 'simulated')!.device_id,
    serial: list.find((d) => d.driver === 'serial')!.device_id,
  };
}

async function setCode(device_id: string, code: string): Promise<string> {
  const created = await api.request('access_codes/create', { device_id, code });
  expect(created.ok, JSON.stringify(created)).toBe(true);
  const id = created.access_code.access_code_id as string;
  await eventually(
    async () => (await api.request('access_codes/get', { access_code_id: id })).access_code.status === 'set',
    20_000,
    `code ${id} set`,
  );
  return id;
}

describe.skipIf(!mountable)('storage: a full disk and a read-only data_dir under a real daemon', () => {
  it('a full disk: requests answered storage_unavailable, lock reports kept, logged once, no spinning, recovers by itself', async () => {
    daemon.start();
    await daemon.ready();
    const { sim, serial } = await devices();
    await setCode(serial, PINS[0]!);
    const from = daemon.output.length;

    // The serial lock goes away, and a code is asked for it: the write goes unanswered (the bridge
    // never polls), the lock counts as offline, and the code waits, its warning deadline ahead.
    await lock.close();
    const waiting = await api.request('access_codes/create', { device_id: serial, code: PINS[1] });
    expect(waiting.ok).toBe(true);
    await eventually(
      async () => !(await api.request('devices/get', { device_id: serial })).device.properties.online,
      20_000,
      'the serial lock offline',
    );

    disk.fill();
    const refused = await api.request('access_codes/create', {
      device_id: sim,
      code: PINS[2],
      request_id: 'disk-full-1',
    });
    expect(refused).toMatchObject({
      ok: false,
      request_id: 'disk-full-1',
      error: { type: 'storage_unavailable' },
    });
    expect((await api.request('access_codes/list', { device_id: serial })).access_codes).toHaveLength(2);
    await eventually(() => storage()?.writable === false, 10_000, 'bridge/info: the store cannot write');

    // The lock comes back and reports a keypad use while nothing can be written; the waiting
    // code's warning deadline passes meanwhile.
    await openLock();
    lock.enterCode(PINS[0]!);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(daemon.running).toBe(true);
    expect(said('the store cannot write', from)).toHaveLength(1);
    // Backing off (50 ms doubling to 500 ms: about a dozen retries in 5 s), never a spin.
    expect(said('reconcile step failed', from).length).toBeLessThan(100);

    disk.free();
    // The next write that reaches the store ends the outage; the rest catches up by itself.
    await eventually(
      async () => (await api.request('access_codes/create', { device_id: sim, code: PINS[2] })).ok,
      20_000,
      'a create accepted again',
    );
    await eventually(() => storage()?.writable === true, 20_000, 'bridge/info: the store writes again');
    await api.waitForEvent(
      (e) => e.event_type === 'lock.unlocked' && e.device_id === serial && e.method === 'keycode',
      20_000,
    );
    await eventually(
      async () =>
        (await api.request('access_codes/get', { access_code_id: waiting.access_code.access_code_id }))
          .access_code.status === 'set',
      30_000,
      'the waiting code set once the lock was back and the disk too',
    );
    expect(said('the store cannot write', from)).toHaveLength(1);
    expect(said('the store writes again', from)).toHaveLength(1);
  });

  it('restarted on a full disk it comes online; a read-only data_dir, at start: reads answer, writes refused, exits 75 once it can write', async () => {
    // kill -9 on a full disk, and started again on it.
    disk.fill();
    await daemon.kill();
    daemon.start();
    await daemon.ready();
    const { sim, serial } = await devices();
    expect((await api.request('access_codes/create', { device_id: sim, code: PINS[3] })).error?.type).toBe(
      'storage_unavailable',
    );
    disk.free();
    await eventually(
      async () => (await api.request('access_codes/create', { device_id: sim, code: PINS[3] })).ok,
      20_000,
      'writes again',
    );

    // kill -9, and started on a read-only disk: online, read-only. (A tmpfs cannot be remounted
    // read-only under a process writing to it; the full disk above is the outage while running.)
    await daemon.kill();
    disk.readOnly(true);
    daemon.start();
    await daemon.ready();
    await devices();
    expect((await api.request('access_codes/list', { device_id: sim })).access_codes.length).toBeGreaterThan(
      0,
    );
    expect((await api.request('access_codes/create', { device_id: serial, code: PINS[4] })).error?.type).toBe(
      'storage_unavailable',
    );
    await eventually(() => storage()?.writable === false, 10_000, 'bridge/info says read-only');

    // The disk takes writes again: the daemon exits 75 for its supervisor to start it writable.
    disk.readOnly(false);
    await eventually(() => !daemon.running, 30_000, 'the daemon exits for a restart');
    expect(daemon.lastExitCode).toBe(75);
    expect(said('the disk takes writes again').length).toBeGreaterThan(0);
    daemon.start();
    await daemon.ready();
    await devices();
    await setCode(serial, PINS[4]!);

    // Never a crash of its own, and no PIN in any line of any run.
    const text = daemon.output.join('\n');
    for (const pin of PINS) expect(showsPin(text, pin), pin).toBe(false);
    expect(daemon.lines().filter((line) => line.level >= 60)).toEqual([]);
  });
});

it.skipIf(mountable)('storage reliability tests need root and mount (skipped here)', () => {
  expect(mountable).toBe(false);
});
