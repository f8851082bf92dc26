// The Zigbee driver: one coordinator (controller-keeper.ts), and every interviewed device with a
// Door Lock cluster on it is a lock, known by its IEEE address (zigbee:<ieee>). It adopts new locks
// (adoption.ts), routes herdsman's events to their handles (zigbee-lock.ts), and is the network the
// API opens for joining and removes locks from.
import type { Logger } from 'pino';
import type { LockDriver, LockHandle, LockNetwork } from '../driver.ts';
import {
  adopt,
  adoptionWaitMs,
  doorLockEndpoint,
  type LockProfile,
  storedProfile,
  storeProfile,
} from './adoption.ts';
import { type AdapterLossPlan, ControllerKeeper, type KeeperTimings } from './controller-keeper.ts';
import type { Controller, HerdsmanDevice } from './herdsman.ts';
import { herdsmanReason, routeHerdsmanLog } from './herdsman.ts';
import { type NetworkConfig, networkSettings } from './network-settings.ts';
import { type LockQuirks, quirksFor } from './quirks.ts';
import { ZigbeeLock, type ZigbeeLockTimings } from './zigbee-lock.ts';

export interface ZigbeeDriverConfig extends NetworkConfig {
  /** Names by IEEE address (lower case). */
  names: Record<string, string>;
  /** Quirk overrides by IEEE address (lower case). */
  devices: Record<string, Partial<LockQuirks>>;
  response_timeout_ms: number;
  /** Slots read in one step of a lock's first full read. */
  read_chunk: number;
  on_adapter_loss: AdapterLossPlan;
}

export type ZigbeeTimings = ZigbeeLockTimings & KeeperTimings;

export interface ZigbeeDriverOptions {
  timings?: Partial<Omit<ZigbeeTimings, 'response_timeout_ms'>>;
  /** Asks for a restart of the daemon when the coordinator can't be restarted in the process. */
  restartDaemon?: (reason: string) => void;
}

const DEFAULT_TIMINGS: Omit<ZigbeeTimings, 'response_timeout_ms'> = {
  probe_min_ms: 30_000,
  probe_max_ms: 600_000,
  report_settle_ms: 1000,
  echo_window_ms: 10_000,
  restart_min_ms: 1000,
  restart_max_ms: 60_000,
  stop_timeout_ms: 10_000,
};

export class ZigbeeDriver implements LockDriver, LockNetwork {
  readonly kind = 'zigbee' as const;
  readonly network: LockNetwork = this;
  private readonly keeper: ControllerKeeper;
  private readonly timings: ZigbeeTimings;
  /** By IEEE address; kept across stop/start and coordinator restarts so a lock stays one handle. */
  private readonly locks = new Map<string, ZigbeeLock>();
  private announced = new Set<string>();
  private onLock: ((lock: LockHandle) => void) | null = null;
  /** Adoptions under way, so a device interviewed twice in a row is adopted once. */
  private readonly adopting = new Set<string>();

  constructor(
    private readonly config: ZigbeeDriverConfig,
    private readonly log: Logger,
    options: ZigbeeDriverOptions = {},
  ) {
    this.timings = {
      ...DEFAULT_TIMINGS,
      ...options.timings,
      response_timeout_ms: config.response_timeout_ms,
    };
    let settings: ReturnType<typeof networkSettings> | null = null;
    this.keeper = new ControllerKeeper(
      () => {
        settings ??= networkSettings(config, log);
        return settings;
      },
      config.on_adapter_loss,
      this.timings,
      log,
      options.restartDaemon ?? null,
    );
    this.keeper.on('up', (controller) => this.up(controller));
    this.keeper.on('down', (reason) => {
      for (const lock of this.locks.values()) lock.unreachable(reason);
    });
  }

  /** Handles by IEEE address (tests look at a lock's radio). */
  lockByIeee(ieee: string): ZigbeeLock | undefined {
    return this.locks.get(ieee.toLowerCase());
  }

  async start(onLock: (lock: LockHandle) => void): Promise<void> {
    this.onLock = onLock;
    this.announced = new Set();
    routeHerdsmanLog(this.log.child({ component: 'herdsman' }));
    await this.keeper.start();
  }

  async stop(): Promise<void> {
    await this.keeper.stop();
    for (const lock of this.locks.values()) {
      lock.stop();
      lock.removeAllListeners();
    }
    this.onLock = null;
  }

  // --- LockNetwork. ---

  get available(): boolean {
    return this.keeper.current !== null;
  }

  async permitJoin(seconds: number, through: string | null): Promise<void> {
    const controller = this.running();
    const router = through === null ? undefined : controller.getDeviceByIeeeAddr(ieeeOf(through));
    if (through !== null && !router) throw new Error('that device is not on the Zigbee network');
    await controller.permitJoin(seconds, router);
    this.log.info(
      { seconds, through: router?.ieeeAddr ?? null },
      seconds > 0 ? 'Zigbee joining open' : 'Zigbee joining closed',
    );
  }

  async remove(identity: string, force: boolean): Promise<void> {
    const controller = this.running();
    const ieee = ieeeOf(identity);
    const device = controller.getDeviceByIeeeAddr(ieee);
    const lock = this.locks.get(ieee);
    if (!device) {
      lock?.leftNetwork('removed from the network');
      return;
    }
    try {
      await device.removeFromNetwork();
      lock?.leftNetwork('removed from the network');
    } catch (error) {
      if (!force) throw new Error(`the lock did not confirm it left the network (${herdsmanReason(error)})`);
      device.removeFromDatabase();
      lock?.leftNetwork('forgotten by the coordinator (forced removal; it did not answer)');
    }
  }

  // --- The coordinator's events. ---

  private running(): Controller {
    const controller = this.keeper.current;
    if (!controller) throw new Error('the Zigbee coordinator is not running');
    return controller;
  }

  private up(controller: Controller): void {
    const mine = () => this.keeper.current === controller;
    controller.on('deviceInterview', ({ status, device }) => {
      if (!mine()) return;
      if (status === 'started')
        this.log.info({ ieee: device.ieeeAddr }, 'Zigbee device joined; interviewing it');
      else if (status === 'failed') {
        this.log.warn(
          { ieee: device.ieeeAddr, model: device.modelID ?? null },
          'Zigbee interview failed: the device was not adopted; open joining and pair it again (keep it awake: press a key on a lock)',
        );
      } else void this.discovered(controller, device, true);
    });
    controller.on('deviceAnnounce', ({ device }) => {
      if (mine()) this.locks.get(device.ieeeAddr)?.announced();
    });
    controller.on('deviceLeave', ({ ieeeAddr }) => {
      if (mine()) this.locks.get(ieeeAddr)?.leftNetwork('left the network');
    });
    controller.on('lastSeenChanged', ({ device }) => {
      if (mine()) this.locks.get(device.ieeeAddr)?.heard();
    });
    controller.on('message', (message) => {
      if (mine()) this.locks.get(message.device.ieeeAddr)?.message(message);
    });
    for (const device of controller.getDevicesIterator((d) => d.type !== 'Coordinator')) {
      if (String(device.interviewState) === 'SUCCESSFUL') void this.discovered(controller, device, false);
    }
  }

  /**
   * An interviewed device: a lock if it has a Door Lock endpoint. `joined`: it has just joined (or
   * rejoined after leaving) and been interviewed; otherwise it is one herdsman already knew.
   */
  private async discovered(controller: Controller, device: HerdsmanDevice, joined: boolean): Promise<void> {
    const ieee = device.ieeeAddr;
    const { quirks, entry } = quirksFor(device.modelID ?? null, this.config.devices[ieee] ?? {});
    const endpoint = doorLockEndpoint(device, quirks);
    if (!endpoint) {
      if (joined)
        this.log.info(
          { ieee, model: device.modelID ?? null },
          'Zigbee device has no Door Lock cluster: not a lock, left alone',
        );
      return;
    }
    const stored = joined ? null : storedProfile(device);
    if (this.adopting.has(ieee)) return;
    this.adopting.add(ieee);
    try {
      const lock = this.handle(ieee, quirks);
      lock.describe(
        {
          manufacturer: device.manufacturerName ?? null,
          model: device.modelID ?? null,
          firmware: device.softwareBuildID ?? null,
        },
        quirks,
      );
      this.announce(lock);
      const target = { controller, device, endpoint };
      if (stored) {
        lock.reachable(target, stored, false);
        return;
      }
      if (joined) lock.emit('added');
      const rejoined = joined && lock.seenOnline;
      lock.radio.target = target;
      lock.radio.timeoutMs = adoptionWaitMs(device, this.timings.response_timeout_ms);
      const coordinator = controller.getDevicesByType('Coordinator')[0]?.endpoints[0];
      if (!coordinator) throw new Error('the coordinator has no endpoint to bind to');
      const profile = await adopt(
        device,
        endpoint,
        coordinator,
        lock.radio,
        quirks,
        this.log.child({ ieee }),
      );
      if (this.keeper.current !== controller) return;
      this.log.info(
        {
          ieee,
          model: device.modelID ?? null,
          quirks: entry?.vendor ?? 'ZCL defaults',
          slots: profile.slot_count,
          schedules: profile.year_day_schedules > 0,
        },
        'Zigbee lock adopted',
      );
      lock.reachable(target, profile, true);
      // Joined again after leaving, in this run: the slots the bridge knows are read (a lock it
      // has not seen online in this run is, when it comes online; a new one is read in full).
      if (rejoined) lock.emit('rebooted', false);
    } catch (error) {
      this.log.warn(
        { ieee, reason: herdsmanReason(error) },
        'Zigbee lock could not be adopted; it will be tried again when it rejoins or the bridge restarts',
      );
    } finally {
      this.adopting.delete(ieee);
    }
  }

  private handle(ieee: string, quirks: LockQuirks): ZigbeeLock {
    let lock = this.locks.get(ieee);
    if (!lock) {
      const name = this.config.names[ieee] ?? `Zigbee lock ${ieee}`;
      const log = this.log.child({ lock: name, ieee });
      const keep = (profile: LockProfile) => {
        const device = this.keeper.current?.getDeviceByIeeeAddr(ieee);
        if (device) storeProfile(device, profile);
      };
      lock = new ZigbeeLock(ieee, name, quirks, this.config.read_chunk, this.timings, log, keep);
      this.locks.set(ieee, lock);
    }
    return lock;
  }

  private announce(lock: ZigbeeLock): void {
    if (this.announced.has(lock.ieee)) return;
    this.announced.add(lock.ieee);
    this.onLock?.(lock);
  }
}

/** 'zigbee:0x…' or '0x…' to herdsman's lower-case IEEE address. */
function ieeeOf(identity: string): string {
  return identity.replace(/^zigbee:/, '').toLowerCase();
}
