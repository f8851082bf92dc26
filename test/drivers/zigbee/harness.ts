// Zigbee locks for the tests: herdsman's real Controller over a simulated coordinator stick
// (drivers/zigbee/simulator), the real ZigbeeDriver, fast timings, a temp dir for herdsman's files
// and a log that keeps every line (to check what was said, and that no PIN was).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { LockHandle } from '../../../drivers/driver.ts';
import type { SimDoorLock } from '../../../drivers/zigbee/simulator/sim-door-lock.ts';
import {
  type SimNetworkOptions,
  SimulatedZigbeeNetwork,
} from '../../../drivers/zigbee/simulator/sim-network.ts';
import {
  ZigbeeDriver,
  type ZigbeeDriverConfig,
  type ZigbeeDriverOptions,
  type ZigbeeTimings,
} from '../../../drivers/zigbee/zigbee-driver.ts';
import type { ZigbeeLock } from '../../../drivers/zigbee/zigbee-lock.ts';
import { type LogLine, until } from '../serial/harness.ts';

export { until };

export const FAST_TIMINGS: Partial<Omit<ZigbeeTimings, 'response_timeout_ms'>> = {
  probe_min_ms: 20,
  probe_max_ms: 80,
  report_settle_ms: 40,
  echo_window_ms: 2000,
  restart_min_ms: 20,
  restart_max_ms: 100,
  stop_timeout_ms: 1000,
};

export class ZigbeeBench {
  readonly lines: LogLine[] = [];
  readonly log: Logger;
  readonly network: SimulatedZigbeeNetwork;
  readonly announced: ZigbeeLock[] = [];
  driver: ZigbeeDriver | null = null;
  private readonly cleanups: (() => Promise<void> | void)[] = [];

  private constructor(
    readonly dir: string,
    network: Partial<SimNetworkOptions>,
  ) {
    this.log = pino({ level: 'trace' }, { write: (line: string) => this.lines.push(JSON.parse(line)) });
    this.network = new SimulatedZigbeeNetwork(network);
    this.cleanups.push(() => this.network.close());
  }

  static async create(network: Partial<SimNetworkOptions> = {}): Promise<ZigbeeBench> {
    return new ZigbeeBench(await mkdtemp(join(tmpdir(), 'zigbee-test-')), network);
  }

  config(extra: Partial<ZigbeeDriverConfig> = {}): ZigbeeDriverConfig {
    return {
      adapter: 'zstack',
      port: this.network.path,
      channel: 15,
      pan_id: null,
      extended_pan_id: null,
      network_key_file: join(this.dir, 'network-key'),
      baud_rate: null,
      rtscts: null,
      adapter_concurrency: null,
      state_dir: join(this.dir, 'zigbee'),
      names: {},
      devices: {},
      response_timeout_ms: 500,
      read_chunk: 5,
      on_adapter_loss: 'restart',
      ...extra,
    };
  }

  /** A started driver; its locks are collected as announced. */
  async start(
    config: Partial<ZigbeeDriverConfig> = {},
    options: ZigbeeDriverOptions = {},
    listen: (lock: LockHandle) => void = () => undefined,
  ): Promise<ZigbeeDriver> {
    const driver = new ZigbeeDriver(this.config(config), this.log, { timings: FAST_TIMINGS, ...options });
    this.driver = driver;
    this.cleanups.push(() => driver.stop());
    await driver.start((lock) => {
      this.announced.push(lock as ZigbeeLock);
      listen(lock);
    });
    return driver;
  }

  /** Opens joining, lets `sim` join, and waits until its handle is online. */
  async pair(sim: SimDoorLock): Promise<ZigbeeLock> {
    const driver = this.driver;
    if (!driver) throw new Error('start the driver first');
    await driver.permitJoin(60, null);
    this.network.join(sim);
    await until(() => driver.lockByIeee(sim.options.ieee)?.online === true, `${sim.options.model} online`);
    return driver.lockByIeee(sim.options.ieee)!;
  }

  logged(text: string): LogLine[] {
    return this.lines.filter((line) => line.msg.includes(text));
  }

  async cleanup(): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) await cleanup();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** IEEE addresses for the tests' locks. */
export const ieee = (n: number): string => `0x00158d00000000${n.toString(16).padStart(2, '0')}`;
