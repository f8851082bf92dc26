// The drivers the configuration asks for.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { LockDriver } from '../../drivers/driver.ts';
import { SerialDriver } from '../../drivers/serial/serial-driver.ts';
import { simulatedDriverFromConfig } from '../../drivers/simulated/simulated-driver.ts';
import {
  defaultAdapterLossPlan,
  ZigbeeDriver,
  type ZigbeeDriverConfig,
} from '../../drivers/zigbee/zigbee-driver.ts';
import type { Config, SerialLockConfig, SimulatedLockConfig, ZigbeeConfig } from '../config/schema.ts';

export interface DriverHooks {
  /** A driver can't recover in the process (a Zigbee adapter lost for good): restart the daemon. */
  restartDaemon?: (reason: string) => void;
}

export function driversFromConfig(config: Config, log: Logger, hooks: DriverHooks = {}): LockDriver[] {
  const drivers: LockDriver[] = [];
  const simulated = config.locks.filter((l): l is SimulatedLockConfig => l.driver === 'simulated');
  if (simulated.length > 0) drivers.push(simulatedDriverFromConfig(simulated));
  const serial = config.locks.filter((l): l is SerialLockConfig => l.driver === 'serial');
  if (serial.length > 0) drivers.push(new SerialDriver(serial, log.child({ component: 'serial' })));
  if (config.zigbee) {
    drivers.push(
      new ZigbeeDriver(
        zigbeeDriverConfig(config.zigbee, config.data_dir),
        log.child({ component: 'zigbee' }),
        {
          ...(hooks.restartDaemon ? { restartDaemon: hooks.restartDaemon } : {}),
        },
      ),
    );
  }
  return drivers;
}

/** The zigbee section with its defaults: the key file and herdsman's files under data_dir. */
export function zigbeeDriverConfig(zigbee: ZigbeeConfig, dataDir: string): ZigbeeDriverConfig {
  const lower = <T>(record: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).map(([ieee, value]) => [ieee.toLowerCase(), value]));
  return {
    adapter: zigbee.adapter,
    port: zigbee.port,
    channel: zigbee.channel,
    pan_id: zigbee.pan_id ?? null,
    extended_pan_id: zigbee.extended_pan_id ?? null,
    network_key_file: zigbee.network_key_file ?? join(dataDir, 'zigbee-network-key'),
    baud_rate: zigbee.baud_rate ?? null,
    rtscts: zigbee.rtscts ?? null,
    adapter_concurrency: zigbee.adapter_concurrency ?? null,
    state_dir: join(dataDir, 'zigbee'),
    names: lower(zigbee.names),
    devices: lower(zigbee.devices),
    response_timeout_ms: zigbee.response_timeout_ms,
    read_chunk: zigbee.read_chunk,
    on_adapter_loss: zigbee.on_adapter_loss ?? defaultAdapterLossPlan(zigbee.adapter),
  };
}
