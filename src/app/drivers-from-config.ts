// The drivers the configuration asks for.
import type { Logger } from 'pino';
import type { LockDriver } from '../../drivers/driver.ts';
import { simulatedDriverFromConfig } from '../../drivers/simulated/simulated-driver.ts';
import type { Config } from '../config/schema.ts';

export function driversFromConfig(config: Config, log: Logger): LockDriver[] {
  const drivers: LockDriver[] = [];
  const simulated = config.locks.filter((l) => l.driver === 'simulated');
  if (simulated.length > 0) {
    drivers.push(
      simulatedDriverFromConfig(simulated.map((l) => ({ name: l.name, simulated: l.simulated! }))),
    );
  }
  const serial = config.locks.filter((l) => l.driver === 'serial');
  if (serial.length > 0) {
    log.warn(
      { locks: serial.map((l) => l.name) },
      'serial locks are configured but the serial driver is not wired yet',
    );
  }
  return drivers;
}
