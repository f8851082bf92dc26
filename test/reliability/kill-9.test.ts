// kill -9 at random moments: 20 rounds of a real daemon (simulated locks whose memory survives the
// kill, and a lockwire lock on a pty), each killed while requests, lock commands and keypad events
// are under way, then started again. At the end: nothing acknowledged is lost, every lock holds
// exactly the live codes (no deleted code left on a lock), every event reached the broker at least
// once, every keypad use was reported, and no PIN is in the log.
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LockSimulator } from '../../drivers/serial/simulator/lock-simulator.ts';
import { PtyPair } from '../../drivers/serial/simulator/pty-pair.ts';
import type { ModelSlot } from '../../drivers/simulated/lock-model.ts';
import { type ApiBody, ApiClient, eventually } from '../helpers/api-client.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { DaemonProcess } from './support/daemon-process.ts';

const ROUNDS = 20;
const ROOT = 'lockbridge/kill9';
const SIM_LOCKS = ['Sim A', 'Sim B'];

let dir: string;
let broker: Broker;
let pty: PtyPair;
let lock: LockSimulator;
let daemon: DaemonProcess;
let api: ApiClient;
const memoryPath = () => join(dir, 'lock-memory.json');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockbridge-kill9-'));
  broker = await startMosquitto();
  pty = new PtyPair(join(dir, 'host'), join(dir, 'lock'));
  await pty.plug();
  lock = new LockSimulator({
    slots: 40,
    min_code_length: 4,
    max_code_length: 8,
    can_read_codes: true,
    supports_native_scheduling: false,
    serial_number: 'LK-KILL-1',
    has_clock: true,
    // A patient lock: it keeps re-sending a keypad event through a restart of the daemon.
    event_resends: 60,
  });
  await lock.open(pty.lockPath);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'gateway_id: kill9',
      `data_dir: ${join(dir, 'data')}`,
      `mqtt: { url: "${broker.url}" }`,
      'log: { level: debug }',
      'timing: { retry_base_ms: 50, retry_max_ms: 500 }',
      'locks:',
      ...SIM_LOCKS.flatMap((name, i) => [
        `  - name: ${name}`,
        '    driver: simulated',
        `    simulated: { slots: 40, latency_ms: ${20 + 20 * i}, serial_number: KILL-SIM-${i + 1} }`,
      ]),
      '  - name: Serial door',
      '    driver: serial',
      `    serial: { path: ${pty.hostPath}, response_timeout_ms: 200 }`,
    ].join('\n'),
  );
  daemon = new DaemonProcess(config, memoryPath());
  api = await ApiClient.connect(broker.url, ROOT);
});

afterAll(async () => {
  await daemon?.kill();
  await api?.close();
  await lock?.close();
  await pty?.unplug();
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Expected {
  device_id: string;
  code: string;
  deleted: boolean;
}

it(`${ROUNDS} rounds of kill -9 at random moments: nothing acknowledged lost, every lock converges, every event delivered`, async () => {
  daemon.start();
  await daemon.ready();
  const devices = (await eventually(
    async () => {
      const list = await api.request('devices/list', {}, 30_000);
      const online = (list.devices ?? []).filter((d: ApiBody) => d.properties.online);
      return online.length === 3 ? (list.devices as ApiBody[]) : null;
    },
    30_000,
    'three locks online',
  ))!;
  const serialDevice = devices.find((d) => d.driver === 'serial')!.device_id as string;

  const codes = new Map<string, Expected>(); // access_code_id → what the answers said
  const creating = new Map(devices.map((d) => [d.device_id as string, 0])); // creates not yet answered
  const pending: Array<Promise<void>> = [];
  let pins = 0;
  let presses = 0;
  const nextPin = () => String(310_000 + pins++ * 7);

  /** A request whose answer may come only after the next start (the broker keeps it for us). */
  const send = (route: string, params: Record<string, unknown>, onAnswer: (body: ApiBody) => void) => {
    pending.push(api.request(route, params, 120_000).then(onAnswer));
  };

  const act = () => {
    const live = [...codes.entries()].filter(([, c]) => !c.deleted);
    const roll = randomInt(100);
    // Creates (and only where the lock has room: 40 slots, at most 30 codes a lock even when every
    // create and delete still under way lands), updates, deletes, and keypad use.
    const device = devices[randomInt(devices.length)]!.device_id as string;
    const onDevice = [...codes.values()].filter((c) => c.device_id === device && !c.deleted).length;
    if ((roll < 45 || live.length < 3) && onDevice + creating.get(device)! < 30) {
      creating.set(device, creating.get(device)! + 1);
      const code = nextPin();
      send('access_codes/create', { device_id: device, code, name: `k${pins}` }, (body) => {
        creating.set(device, creating.get(device)! - 1);
        expect(body.ok, JSON.stringify(body)).toBe(true);
        codes.set(body.access_code.access_code_id, { device_id: device, code, deleted: false });
      });
    } else if (live.length === 0) {
      return;
    } else if (roll < 65) {
      const [id, expected] = live[randomInt(live.length)]!;
      const code = nextPin();
      send('access_codes/update', { access_code_id: id, code }, (body) => {
        // Deleted meanwhile by an earlier request of ours: not found is the right answer then.
        if (!body.ok) expect(body.error.type).toBe('access_code_not_found');
        else expected.code = code;
      });
    } else if (roll < 85) {
      const [id, expected] = live[randomInt(live.length)]!;
      send('access_codes/delete', { access_code_id: id }, (body) => {
        if (!body.ok) expect(body.error.type).toBe('access_code_not_found');
        expected.deleted = true;
      });
    } else {
      // Someone uses a code at the serial lock's keypad (only one the lock really holds).
      const onLock = live.find(
        ([, c]) => c.device_id === serialDevice && lock.model.slotWithCode(c.code) !== null,
      );
      if (onLock) {
        lock.enterCode(onLock[1].code);
        presses++;
      }
    }
  };

  for (let round = 1; round <= ROUNDS; round++) {
    if (!daemon.running) {
      daemon.start();
      // Now and then the kill lands during the start itself.
      if (randomInt(4) > 0) await daemon.ready();
    }
    const killAt = Date.now() + randomInt(50, 1500);
    while (Date.now() < killAt) {
      act();
      await sleep(randomInt(5, 60));
    }
    await daemon.kill();
  }

  // The last start: every request ever sent is answered, and everything settles.
  daemon.start();
  await daemon.ready();
  await Promise.all(pending);
  expect(pending.length).toBeGreaterThan(100);

  const live = () => [...codes.entries()].filter(([, c]) => !c.deleted);
  // Nothing acknowledged was lost: the store holds exactly the live codes, each with its last PIN.
  await settles('the store to hold every live code, set', async () => {
    const problems: string[] = [];
    for (const device of devices) {
      const listed = (await api.request('access_codes/list', { device_id: device.device_id }, 30_000))
        .access_codes as ApiBody[];
      const want = live().filter(([, c]) => c.device_id === device.device_id);
      for (const [id, c] of want) {
        const found = listed.find((a) => a.access_code_id === id);
        if (!found) problems.push(`${id} (acknowledged) missing`);
        else if (found.code !== c.code || found.status !== 'set')
          problems.push(
            `${id}: ${found.status}, ${found.code === c.code ? 'its PIN' : 'another PIN'}, ${JSON.stringify([found.errors, found.warnings])}`,
          );
      }
      for (const a of listed) {
        if (!want.some(([id]) => id === a.access_code_id))
          problems.push(`${a.access_code_id} listed, not expected`);
      }
    }
    return problems;
  });
  // Every lock holds exactly the live codes' PINs: none missing, no deleted one left behind.
  await eventually(
    () => devices.every((device) => sameSet(pinsOnLock(device), livePins(device.device_id))),
    60_000,
    'every lock to hold exactly the live codes',
  );
  // Every keypad use was reported: the lock re-sent what a dead daemon did not acknowledge, and
  // what it reported before the daemon knew the lock.
  await settles('every keypad use reported', () => {
    const reported = new Set(
      api.events
        .filter((e) => e.event_type === 'lock.unlocked' && e.device_id === serialDevice)
        .map((e) => e.event_id),
    ).size;
    return reported >= presses
      ? []
      : [`${reported} of ${presses} reported; the lock still holds ${lock.unacknowledgedEvents} events`];
  });
  // Every event in the store reached the broker (and the client) at least once.
  await eventually(
    () => {
      const received = new Set(api.events.map((e) => e.event_id));
      return storedEventIds().every((id) => received.has(id));
    },
    60_000,
    'every stored event delivered',
  );
  // The daemon never crashed on its own, and no PIN reached its log.
  const log = daemon.output.join('\n');
  for (const code of [...codes.values()].map((c) => c.code)) expect(log).not.toContain(`"${code}"`);
  expect(daemon.lines().filter((l) => l.level >= 60)).toEqual([]);
  expect(daemon.runs).toBe(ROUNDS + 1);

  function livePins(deviceId: string): string[] {
    return live()
      .filter(([, c]) => c.device_id === deviceId)
      .map(([, c]) => c.code);
  }

  function pinsOnLock(device: ApiBody): string[] {
    if (device.driver === 'serial') {
      return Array.from({ length: 40 }, (_, i) => lock.model.codeIn(i + 1)).filter(
        (c): c is string => c !== null,
      );
    }
    if (!existsSync(memoryPath())) return [];
    const memory = JSON.parse(readFileSync(memoryPath(), 'utf8')) as Record<string, ModelSlot[]>;
    const slots = memory[`sim:${device.properties.serial_number}`] ?? [];
    return slots.filter((s) => s.state !== 'empty' && s.code !== null).map((s) => s.code!);
  }
}, 600_000);

/** Waits until `problems` finds none; if it never does, fails with the last it found. */
async function settles(what: string, problems: () => Promise<string[]> | string[], timeoutMs = 60_000) {
  let last: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    last = await problems();
    if (last.length === 0) return;
    await sleep(100);
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms:\n${last.slice(0, 20).join('\n')}`);
}

function storedEventIds(): string[] {
  const db = new DatabaseSync(join(dir, 'data', 'lockbridge.db'), { readOnly: true });
  try {
    return (db.prepare('SELECT event_id FROM events').all() as Array<{ event_id: string }>).map(
      (r) => r.event_id,
    );
  } finally {
    db.close();
  }
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && new Set([...a, ...b]).size === a.length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
