// The drivers the configuration asks for.
import type { Logger } from 'pino';
import type { LockDriver } from '../../drivers/driver.ts';
import { SerialDriver } from '../../drivers/serial/serial-driver.ts';
import { simulatedDriverFromConfig } from '../../drivers/simulated/simulated-driver.ts';
import type { Config, SerialLockConfig, SimulatedLockConfig } from '../config/schema.ts';

export function driversFromConfig(config: Config, log: Logger): LockDriver[] {
  const drivers: LockDriver[] = [];
  const simulated = config.locks.filter((l): l is SimulatedLockConfig => l.driver === 'simulated');
  if (simulated.length > 0) drivers.push(simulatedDriverFromConfig(simulated));
  const serial = config.locks.filter((l): l is SerialLockConfig => l.driver === 'serial');
  if (serial.length > 0) drivers.push(new SerialDriver(serial, log.child({ component: 'serial' })));
  return drivers;
}
