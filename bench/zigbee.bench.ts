// The Zigbee radio budget, counted in frames sent to the lock, through the whole bridge (API →
// reconciler → Zigbee driver → herdsman's real Controller → the simulated coordinator → a simulated
// 250-slot lock):
//   npm run bench:zigbee
// Prints one table: the frames each case of the radio budget costs, and the time of the first full
// read of a 250-slot lock at 100 ms a round trip beside Zigbee2MQTT's /get of every pin_code (250
// getPinCode sent one after the other, as its converter does) on the same lock.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { simLock } from '../drivers/zigbee/simulator/lock-kinds.ts';
import type { SimDoorLock } from '../drivers/zigbee/simulator/sim-door-lock.ts';
import { SimulatedZigbeeNetwork } from '../drivers/zigbee/simulator/sim-network.ts';
import type { ZigbeeDriver } from '../drivers/zigbee/zigbee-driver.ts';
import { Bridge } from '../src/app/bridge.ts';
import { driversFromConfig } from '../src/app/drivers-from-config.ts';
import { configSchema } from '../src/config/schema.ts';

const SLOTS = 250;
const MANAGED = 30;
const RTT_MS = 100;
const MAIN = '0x000d6f00000000aa';
const CHECKED = '0x000d6f00000000bb';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  limitMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(10);
  }
}

const dir = await mkdtemp(join(tmpdir(), 'zigbee-bench-'));
const network = new SimulatedZigbeeNetwork();
const log = pino({ level: 'silent' });
const config = configSchema.parse({
  gateway_id: 'bench',
  data_dir: join(dir, 'data'),
  mqtt: { url: 'mqtt://127.0.0.1:1' },
  timing: { retry_base_ms: 50, retry_max_ms: 500 },
  zigbee: {
    adapter: 'zstack',
    port: network.path,
    response_timeout_ms: 5000,
    devices: { [CHECKED]: { read_back: true } },
  },
});
let zigbee: ZigbeeDriver | null = null;
const startBridge = async () => {
  const drivers = await driversFromConfig(config, log);
  zigbee = drivers[0] as ZigbeeDriver;
  return Bridge.start({
    config,
    log,
    drivers,
    transports: [],
    clockBackground: false,
    syncProbe: async () => true,
  });
};
let bridge = await startBridge();

const call = async (route: string, params: Record<string, unknown>) => {
  const body = await bridge.api(route, Buffer.from(JSON.stringify(params)), {
    generatedRequestId: `b-${Math.random()}`,
  });
  if (!body.ok) throw new Error(`${route}: ${JSON.stringify(body.error)}`);
  return body;
};
const deviceOf = (ieee: string) => bridge.store.devices.byIdentity(`zigbee:${ieee}`)!;
const frames = (ieee: string, command?: string) => network.framesTo(ieee, command).length;
/** Frames sent to the lock while `run` runs and the bridge settles afterwards. */
async function cost(ieee: string, run: () => Promise<void>): Promise<{ all: number; reads: number }> {
  const [all, reads] = [frames(ieee), frames(ieee, 'getPinCode')];
  await run();
  // Settled: no frame for a while.
  for (let last = -1; last !== frames(ieee); ) {
    last = frames(ieee);
    await sleep(150);
  }
  return { all: frames(ieee) - all, reads: frames(ieee, 'getPinCode') - reads };
}
async function createSet(ieee: string, code: string): Promise<string> {
  const created = await call('access_codes/create', { device_id: deviceOf(ieee).device_id, code });
  const id = (created.access_code as { access_code_id: string }).access_code_id;
  await until(() => bridge.store.codes.get(id)?.status === 'set', 'set_on_device');
  return id;
}
async function pair(sim: SimDoorLock): Promise<void> {
  await call('zigbee/permit_join', { seconds: 120 });
  network.join(sim);
  await until(() => deviceOf(sim.options.ieee)?.online === true, 'the lock online');
}
const fullyRead = (ieee: string) =>
  until(() => deviceOf(ieee).slots_read_at !== null, 'the first full read', 300_000);

const rows: { case: string; frames: string; reads: string; note: string }[] = [];
const row = (name: string, c: { all: number; reads: number }, note = '') =>
  rows.push({ case: name, frames: String(c.all), reads: String(c.reads), note });

// 1. First adoption of a 250-slot lock at 100 ms a round trip: paced, in the background.
const main = network.add(simLock('reads_back', MAIN, { users: SLOTS }));
network.options.latency_ms = RTT_MS / 2;
const adoptionStart = Date.now();
const adoption = await cost(MAIN, async () => {
  await pair(main);
  await fullyRead(MAIN);
});
const adoptionMs = Date.now() - adoptionStart;
row(
  'first adoption (interview, adoption, one full read)',
  adoption,
  `${(adoptionMs / 1000).toFixed(1)} s at ${RTT_MS} ms a round trip; the lock is usable meanwhile`,
);

// Zigbee2MQTT's /get of every pin_code: getPinCode for users 0..N-1, each awaited, on the same lock.
const endpoint = zigbee!.lockByIeee(MAIN)!.radio.target!.endpoint;
const z2mStart = Date.now();
const z2m = await cost(MAIN, async () => {
  for (let user = 0; user < SLOTS; user++)
    await endpoint.command('closuresDoorLock', 'getPinCode', { userid: user }, {});
});
const z2mMs = Date.now() - z2mStart;
row(
  "Zigbee2MQTT's /get of every pin_code, same lock",
  z2m,
  `${(z2mMs / 1000).toFixed(1)} s at ${RTT_MS} ms; every time it is asked`,
);
network.options.latency_ms = 0;

// 2. Creates on an adopted lock whose slots were read: one setPinCode each.
const creates = await cost(MAIN, async () => {
  for (let i = 0; i < MANAGED; i++) await createSet(MAIN, String(100_000 + i));
});
row(
  `create on an adopted lock (${MANAGED} codes)`,
  creates,
  `${(creates.all / MANAGED).toFixed(1)} frames a code`,
);

// 3. A lock whose sets must be read back (ID Lock, Weiser).
const checked = network.add(simLock('reads_back', CHECKED, { users: 20 }));
await pair(checked);
await fullyRead(CHECKED);
row(
  'create on a lock that needs a read-back',
  await cost(CHECKED, async () => void (await createSet(CHECKED, '246813'))),
);

// 4. A lock that goes quiet and answers again (no rejoin, no reboot).
main.silent = true;
await call('locks/lock_door', { device_id: deviceOf(MAIN).device_id });
await until(() => !deviceOf(MAIN).online, 'offline');
const quiet = await cost(MAIN, async () => {
  main.silent = false;
  main.manual(false); // the lock's own frame: it is back
  await until(() => deviceOf(MAIN).online, 'online again');
});
row('a lock that went quiet answers again', quiet, 'no slot read');

// 5. A restart of the bridge with the managed codes on the lock.
await bridge.stop();
bridge = await startBridge();
const managedSlots = bridge.store.slots.forDevice(deviceOf(MAIN).device_id).length;
row(
  `bridge restart (${managedSlots} codes on a ${SLOTS}-slot lock)`,
  await cost(MAIN, () => until(() => deviceOf(MAIN).online, 'online after the restart')),
  'the known slots, never all',
);

// 6. A create into a slot not read since the restart: read it first, never overwrite the unknown.
row(
  'create after a restart, into a slot not read since',
  await cost(MAIN, async () => void (await createSet(MAIN, '192837'))),
);

// 7. The lock rejoins (a Device Announce: batteries changed).
row('rejoin (Device Announce)', await cost(MAIN, async () => network.rejoin(main)), 'the known slots again');

// 8. Keypad changes: a programming event with the PIN costs nothing; one without it, one read.
row(
  'keypad change, the event carries the PIN',
  await cost(MAIN, async () => main.keypadProgram(240, '97531')),
);
main.options.programming_event_pin = false;
row('keypad change, the event lacks the PIN', await cost(MAIN, async () => main.keypadProgram(241, '86420')));

await bridge.stop();
network.close();
await rm(dir, { recursive: true, force: true });

console.log(
  `Zigbee radio budget: frames sent to the lock, through the whole bridge; Node ${process.version}\n`,
);
console.log('| case | frames to the lock | of them getPinCode | note |');
console.log('| --- | ---: | ---: | --- |');
for (const r of rows) console.log(`| ${r.case} | ${r.frames} | ${r.reads} | ${r.note} |`);
process.exit(0);
