// The lockwire lock simulator as a program, for the demo and for trying the driver by hand:
//   node --import tsx drivers/serial/simulator/main.ts --pty /tmp/lock1 --serial LK0001
// makes a socat pty pair (/tmp/lock1/host for the bridge's `serial.path`, /tmp/lock1/lock for the
// simulator) and answers on it; --port PATH answers on an existing port instead. Lines on stdin act
// at the lock: `enter 1234`, `program 5 1234`, `erase 5`, `battery 40`, `door open`, `reboot`,
// `reset` (factory reset), `noise`.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { DoorState } from '../../driver.ts';
import { LockSimulator } from './lock-simulator.ts';
import { PtyPair } from './pty-pair.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    pty: { type: 'string' },
    serial: { type: 'string', default: 'LK0001' },
    slots: { type: 'string', default: '30' },
    'min-length': { type: 'string', default: '4' },
    'max-length': { type: 'string', default: '8' },
    'no-read-codes': { type: 'boolean', default: false },
    'no-schedules': { type: 'boolean', default: false },
    'no-clock': { type: 'boolean', default: false },
    noisy: { type: 'boolean', default: false },
    // Broken firmware: SLOTS frames past 245 bytes for READ_SLOTS of more than N slots; no READ_SLOTS.
    'oversize-slots': { type: 'string' },
    'no-read-slots': { type: 'boolean', default: false },
  },
});

if ((values.port === undefined) === (values.pty === undefined)) {
  console.error('usage: main.ts (--port PATH | --pty DIR) [--serial SN] [--slots N] [--noisy] ...');
  process.exit(2);
}

const sim = new LockSimulator({
  slots: Number(values.slots),
  min_code_length: Number(values['min-length']),
  max_code_length: Number(values['max-length']),
  can_read_codes: !values['no-read-codes'],
  supports_native_scheduling: !values['no-schedules'],
  has_clock: !values['no-clock'],
  serial_number: values.serial,
  firmware: 'sim-1.0',
});
sim.faults.noisy = values.noisy;
if (values['oversize-slots'] !== undefined) sim.faults.oversizeSlotsAbove = Number(values['oversize-slots']);
sim.faults.ignoreReadSlots = values['no-read-slots'];
sim.on('executed', (request) => console.log(`executed ${request.type}`)); // requests only: no PIN printed

let pair: PtyPair | null = null;
let lockPath = values.port;
if (values.pty !== undefined) {
  await mkdir(values.pty, { recursive: true });
  pair = new PtyPair(join(values.pty, 'host'), join(values.pty, 'lock'));
  await pair.plug();
  lockPath = pair.lockPath;
  console.log(`bridge side: ${pair.hostPath}`);
}
await sim.open(lockPath!);
console.log(`lock ${values.serial} answering on ${lockPath}`);

const act: Record<string, (args: string[]) => void> = {
  enter: ([code]) => sim.enterCode(code ?? ''),
  program: ([slot, code]) => sim.keypadProgram(Number(slot), code ?? null),
  erase: ([slot]) => sim.keypadProgram(Number(slot), null),
  battery: ([level]) => sim.setBattery(Number(level)),
  door: ([state]) => sim.setDoor((state ?? 'unknown') as DoorState),
  reboot: () => sim.reboot(false),
  reset: () => sim.reboot(true),
  noise: () => sim.noise(),
};

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command = '', ...args] = line.trim().split(/\s+/);
  try {
    const handler = act[command];
    if (handler) handler(args);
    else if (command !== '') console.log(`unknown command ${command}; try: ${Object.keys(act).join(', ')}`);
  } catch (error) {
    console.log(`refused: ${(error as Error).message}`);
  }
});

const shutdown = async () => {
  await sim.close();
  await pair?.unplug();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
