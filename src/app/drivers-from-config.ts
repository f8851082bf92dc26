// The drivers the configuration asks for. Each driver's module is loaded only when the
// configuration names it: a hub without Zigbee never loads zigbee-herdsman (about 20 MiB of
// resident memory), one without serial locks never loads serialport.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { LockDriver } from '../../drivers/driver.ts';
import type { AdapterLossPlan } from '../../drivers/zigbee/controller-keeper.ts';
import type { ZigbeeDriverConfig } from '../../drivers/zigbee/zigbee-driver.ts';
import type { Config, SerialLockConfig, SimulatedLockConfig, ZigbeeConfig } from '../config/schema.ts';

/** Under data_dir: the slots of simulated locks with keep_slots. */
export const SIMULATED_SLOTS_DIR = 'simulated-locks';

export interface DriverHooks {
  /** A driver can't recover in the process (a Zigbee adapter lost for good): restart the daemon. */
  restartDaemon?: (reason: string) => void;
}

export async function driversFromConfig(
  config: Config,
  log: Logger,
  hooks: DriverHooks = {},
): Promise<LockDriver[]> {
  const drivers: LockDriver[] = [];
  const simulated = config.locks.filter((l): l is SimulatedLockConfig => l.driver === 'simulated');
  if (simulated.length > 0) {
    const { simulatedDriverFromConfig } = await import('../../drivers/simulated/simulated-driver.ts');
    drivers.push(simulatedDriverFromConfig(simulated, join(config.data_dir, SIMULATED_SLOTS_DIR)));
  }
  const serial = config.locks.filter((l): l is SerialLockConfig => l.driver === 'serial');
  if (serial.length > 0) {
    const { SerialDriver } = await import('../../drivers/serial/serial-driver.ts');
    drivers.push(new SerialDriver(serial, log.child({ component: 'serial' })));
  }
  if (config.zigbee) {
    const { ZigbeeDriver } = await import('../../drivers/zigbee/zigbee-driver.ts');
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

/** herdsman 10.9's deconz adapter can't be restarted in the process; the others can. */
export const defaultAdapterLossPlan = (adapter: string): AdapterLossPlan =>
  adapter === 'deconz' ? 'exit' : 'restart';
