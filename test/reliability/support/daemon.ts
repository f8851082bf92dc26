// The daemon the kill -9 rounds kill: `lockbridge run` as src/cli/main.ts starts it (the drivers
// of the configuration, the real MQTT transport, JSON logs on stdout), except that its simulated
// locks keep their slots in a file, as a real lock keeps its codes when the host dies. Each
// slot change is written (temp file, rename) in the same turn as it happens in the lock's memory:
// a kill lands before it (the lock never got the command) or after (it did), as on a real wire.
//   node --import tsx test/reliability/support/daemon.ts CONFIG LOCK_MEMORY_FILE
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { SerialDriver } from '../../../drivers/serial/serial-driver.ts';
import type { ModelSlot } from '../../../drivers/simulated/lock-model.ts';
import {
  type SimulatedDriver,
  simulatedDriverFromConfig,
} from '../../../drivers/simulated/simulated-driver.ts';
import { Bridge } from '../../../src/app/bridge.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { SerialLockConfig, SimulatedLockConfig } from '../../../src/config/schema.ts';
import { createLogger } from '../../../src/log/logger.ts';

/** Each simulated lock's slots (1-based order) by its identity. */
type LockMemory = Record<string, ModelSlot[]>;

const [configPath, memoryPath] = process.argv.slice(2);
if (!configPath || !memoryPath) throw new Error('usage: daemon.ts CONFIG LOCK_MEMORY_FILE');

const config = loadConfig(configPath, process.env);
const log = createLogger({ level: config.log.level, pretty: false });
process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));

const simulated = simulatedWithMemory(
  config.locks.filter((l): l is SimulatedLockConfig => l.driver === 'simulated'),
  memoryPath,
);
const serial = config.locks.filter((l): l is SerialLockConfig => l.driver === 'serial');
await Bridge.start({
  config,
  log,
  drivers: [simulated, new SerialDriver(serial, log.child({ component: 'serial' }))],
  // As `lockbridge run` does: exit 75 and let the supervisor (systemd; here the test) start it again.
  onRestartNeeded: () => process.exit(75),
});

function simulatedWithMemory(locks: SimulatedLockConfig[], path: string): SimulatedDriver {
  // Slots kept by this file (simulated.keep_slots, off in these configurations, would keep them too).
  const driver = simulatedDriverFromConfig(locks, `${path}.slots`);
  const remembered: LockMemory = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  const save = () => {
    const memory: LockMemory = {};
    for (const lock of driver.locks) {
      memory[lock.identity] = Array.from({ length: lock.model.options.slots }, (_, i) =>
        lock.model.slot(i + 1),
      );
    }
    writeFileSync(`${path}.tmp`, JSON.stringify(memory));
    renameSync(`${path}.tmp`, path);
  };
  for (const lock of driver.locks) {
    const model = lock.model;
    (remembered[lock.identity] ?? []).forEach((slot, index) => {
      if (slot.state !== 'empty' && slot.code !== null)
        model.write(index + 1, slot.code, slot.schedule, slot.origin);
      if (slot.state === 'disabled') model.setEnabled(index + 1, false);
    });
    const write = model.write.bind(model);
    const clear = model.clear.bind(model);
    model.write = (...args) => {
      write(...args);
      save();
    };
    model.clear = (...args) => {
      clear(...args);
      save();
    };
  }
  return driver;
}
