// Wires the layers together: store → write path → reconciler and lock registry → API → transports,
// and the drivers underneath. Start order follows the ready line of config.md.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { LockDriver } from '../../drivers/driver.ts';
import type { ApiContext } from '../api/context.ts';
import type { RequestHandler } from '../api/request-handler.ts';
import { createRequestHandler } from '../api/router.ts';
import { ApiKeys } from '../auth/api-keys.ts';
import { Changes } from '../changes/changes.ts';
import { retainedSnapshot } from '../changes/retained-snapshot.ts';
import { ClockKeeper } from '../clock/clock-keeper.ts';
import type { Config } from '../config/schema.ts';
import { attemptFailed } from '../core/action-attempt.ts';
import { LockRegistry } from '../devices/lock-registry.ts';
import type { LastProblems } from '../log/last-problems.ts';
import type { ReconcileContext } from '../reconciler/context.ts';
import { Reconciler } from '../reconciler/reconciler.ts';
import type { RetainedState } from '../store/retained-outbox.ts';
import { isStorageError } from '../store/storage-health.ts';
import { Store } from '../store/store.ts';
import type { Transport } from '../transports/transport.ts';
import { type BridgeInfo, bridgeInfo, infoFingerprint, storeInfo } from './bridge-info.ts';
import { driversFromConfig } from './drivers-from-config.ts';
import { networkControl } from './network-control.ts';
import { type TransportDeps, transportsFromConfig } from './transports-from-config.ts';
import { lockbridgeVersion } from './version.ts';
import type { HealthVerdict } from './watchdog.ts';

const HOUR_MS = 60 * 60 * 1000;
/** bridge/info is looked at this often and published when it changed... */
const INFO_CHECK_MS = 5000;
/** ...and at least this often, so uptime and ages stay roughly current. */
const INFO_REFRESH_MS = 10 * 60 * 1000;
/** A reconcile step is one lock command (drivers time out in seconds): one running this long is wedged. */
export const STEP_WEDGED_MS = 5 * 60 * 1000;
/** Shutdown: how long requests being handled, and then the lock command in flight, may take. */
const REQUESTS_WAIT_MS = 3000;
const COMMAND_WAIT_MS = 8000;
/** After the drivers stopped, an abandoned command's step gets this long to record its outcome. */
const ABANDONED_WAIT_MS = 2000;
/** How often a store opened read-only checks whether the disk takes writes again. */
const READ_ONLY_PROBE_MS = 10_000;
/** Rows one chunk of the maintenance deletes in a transaction; the event loop turns between chunks. */
const PRUNE_CHUNK = 2000;
/** How often the bridge looks whether the event log grew enough to be pruned before the hour. */
const GROWTH_CHECK_MS = 5000;

export interface BridgeOptions {
  config: Config;
  log: Logger;
  /** Defaults to the drivers the configuration names. Tests pass their own to keep a lock across restarts. */
  drivers?: LockDriver[];
  /**
   * Defaults to the transports the configuration names (MQTT, HTTP, webhooks). Tests without a
   * broker pass [], or a function that picks from what the configuration names.
   */
  transports?: Transport[] | ((deps: TransportDeps) => Transport[] | Promise<Transport[]>);
  now?: () => number;
  version?: string;
  /** Clock step watch and minute sweep; tests that drive time themselves turn them off. */
  clockBackground?: boolean;
  /** Whether the system says the clock is synchronised (defaults to asking timesyncd / the kernel). */
  syncProbe?: () => Promise<boolean | null>;
  /** The last warning or error per subsystem (fed by the logger), for bridge/info. */
  problems?: LastProblems;
  /** Told after each bridge/info publish (the daemon passes it to systemd as STATUS=). */
  onInfo?: (info: BridgeInfo) => void;
  /** At shutdown, how long the lock command in flight may take before it is abandoned (default 8 s). */
  commandWaitMs?: number;
  /**
   * The daemon should stop cleanly and be started again (the command exits for systemd to restart
   * it): a driver that can't recover in the process (a Zigbee adapter), or a store opened read-only
   * on a disk that takes writes again. Without it the bridge runs on as it can.
   */
  onRestartNeeded?: (reason: string) => void;
  /** How often a store opened read-only checks whether the disk takes writes again (tests shorten it). */
  readOnlyProbeMs?: number;
}

/** What the bridge is built from, prepared (and their modules loaded) before it is. */
interface BridgeParts {
  version: string;
  transports: Transport[];
  drivers: LockDriver[];
}

export class Bridge {
  readonly api: RequestHandler;
  readonly store: Store;
  readonly changes: Changes;
  readonly reconciler: Reconciler;
  readonly registry: LockRegistry;
  readonly clock: ClockKeeper;
  private maintenance: NodeJS.Timeout | null = null;
  private growthCheck: NodeJS.Timeout | null = null;
  private maintaining: Promise<void> | null = null;
  /** The event log's newest seq when the maintenance last ran. */
  private headAtMaintenance = 0;
  private infoTimer: NodeJS.Timeout | null = null;
  private readOnlyProbe: NodeJS.Timeout | null = null;
  /** bridge/info as last queued: to tell a change, and for a broker that lost it. */
  private lastInfo: { fingerprint: string; at: number; info: BridgeInfo } | null = null;
  private stopping: Promise<void> | null = null;
  private readonly startedAt: number;
  private readonly version: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly drivers: LockDriver[];
  readonly transports: readonly Transport[];
  /** The HTTP API's keys (also made and revoked by `lockbridge api-key`, on the same store). */
  readonly apiKeys: ApiKeys;
  private readonly problems: LastProblems | undefined;
  private readonly onInfo: ((info: BridgeInfo) => void) | undefined;
  private readonly commandWaitMs: number;
  private readonly restartNeeded: ((reason: string) => void) | undefined;
  private readonly readOnlyProbeMs: number;

  private constructor(
    readonly config: Config,
    options: BridgeOptions,
    parts: BridgeParts,
  ) {
    const now = options.now ?? Date.now;
    this.now = now;
    this.log = options.log;
    this.startedAt = now();
    this.version = parts.version;
    this.restartNeeded = options.onRestartNeeded;
    this.readOnlyProbeMs = options.readOnlyProbeMs ?? READ_ONLY_PROBE_MS;
    this.transports = parts.transports;
    this.store = Store.open(config.data_dir, config.gateway_id);
    this.store.requests.memoryMs = config.requests.memory_hours * HOUR_MS;
    this.changes = new Changes(this.store, now);
    this.clock = new ClockKeeper({
      store: this.store,
      log: this.log.child({ component: 'clock' }),
      now,
      requireSync: config.timing.require_clock_sync,
      leadMs: config.timing.time_bound_lead_s * 1000,
      onRecheck: (everything) => this.clockRechecked(everything),
      syncProbe: options.syncProbe,
      background: options.clockBackground,
    });
    const windowPolicy = () => this.clock.policy();
    const reconcile: ReconcileContext = {
      store: this.store,
      changes: this.changes.quiet(),
      log: this.log.child({ component: 'reconciler' }),
      now,
      timing: {
        delay_warning_after_ms: config.timing.delay_warning_after_s * 1000,
        fail_after_ms: config.timing.fail_after_s * 1000,
      },
      backoff: { base_ms: config.timing.retry_base_ms, max_ms: config.timing.retry_max_ms },
      windowPolicy,
    };
    this.reconciler = new Reconciler(reconcile, config.reconciler.max_parallel_locks);
    this.registry = new LockRegistry(
      { store: this.store, changes: this.changes, log: this.log.child({ component: 'locks' }), now },
      this.reconciler,
    );
    this.drivers = parts.drivers;
    const network = this.drivers.find((driver) => driver.network)?.network;
    const api: ApiContext = {
      store: this.store,
      changes: this.changes,
      locks: this.reconciler,
      network: network ? networkControl(network, this.store) : null,
      log: this.log,
      now,
      windowPolicy,
      randomInt: (max: number) => randomInt(max),
    };
    this.api = createRequestHandler(api);
    this.apiKeys = new ApiKeys(this.store.apiKeys, now);
    this.problems = options.problems;
    this.onInfo = options.onInfo;
    this.commandWaitMs = options.commandWaitMs ?? COMMAND_WAIT_MS;
  }

  static async start(options: BridgeOptions): Promise<Bridge> {
    const { config } = options;
    const version = options.version ?? lockbridgeVersion();
    // A TLS, password or secret file a transport cannot use stops the start here, before the
    // store is opened or anything runs. The API keys live in the store, so they are looked up late.
    let bridge: Bridge | null = null;
    const deps: TransportDeps = {
      apiKeys: {
        verify: (presented, verifyOptions) => {
          if (!bridge) throw new Error('API keys checked before the bridge started');
          return bridge.apiKeys.verify(presented, verifyOptions);
        },
      },
      version,
    };
    const transports = options.transports ?? ((d: TransportDeps) => transportsFromConfig(config, d));
    const parts: BridgeParts = {
      version,
      transports: typeof transports === 'function' ? await transports(deps) : transports,
      // Only the drivers' modules the configuration names are loaded.
      drivers:
        options.drivers ??
        (await driversFromConfig(
          config,
          options.log,
          options.onRestartNeeded ? { restartDaemon: options.onRestartNeeded } : {},
        )),
    };
    bridge = new Bridge(config, options, parts);
    await bridge.boot();
    return bridge;
  }

  private async boot(): Promise<void> {
    const { store, config } = this;
    this.watchStorage();
    // On a full or read-only disk the bridge still comes up: it answers storage_unavailable to
    // what would write, keeps locks' reports in memory, and catches up when the store writes again.
    // Before anything is appended, so that no consumer misses an event of this run.
    this.tolerate(() => store.events.declareConsumers(this.transports.flatMap((t) => t.eventConsumers)));
    await this.clock.start();
    this.tolerate(() => this.registry.markAllOffline());
    this.tolerate(() => this.failInterruptedDoorActions());
    void this.maintain();
    this.maintenance = setInterval(() => void this.maintain(), HOUR_MS);
    this.maintenance.unref();
    this.growthCheck = setInterval(() => this.maintainIfGrown(), GROWTH_CHECK_MS);
    this.growthCheck.unref();
    this.publishInfo(true);
    for (const transport of this.transports) {
      await transport.start({
        api: this.api,
        events: store.events,
        retained: store.retained,
        retainedSnapshot: () => this.retainedSnapshot(),
        log: this.log,
        statusChanged: () => this.publishInfo(true),
        codes: store.codes,
      });
    }
    for (const driver of this.drivers) {
      await driver.start((lock) => this.registry.attach(lock));
    }
    this.reconciler.wakeAll();
    this.infoTimer = setInterval(() => this.refreshInfo(), INFO_CHECK_MS);
    this.infoTimer.unref();
    this.publishInfo(true);
    this.log.info(
      { gateway_id: config.gateway_id, devices: store.devices.list().length, version: this.version },
      'ready',
    );
  }

  /** A write at start that may wait for a store that can't write (its health says so, once). */
  private tolerate(write: () => void): void {
    try {
      write();
    } catch (error) {
      if (!isStorageError(error)) throw error;
    }
  }

  /** Once an outage: says so, and catches up when the store writes again. */
  private watchStorage(): void {
    this.store.storage.onChange((status) => {
      if (!status.writable) {
        this.log.error(
          { reason: status.reason },
          'the store cannot write (disk full or read-only?): requests that change anything are refused with storage_unavailable, lock reports wait in memory',
        );
      } else {
        this.log.info('the store writes again: catching up');
        this.store.keepReserve();
        this.registry.reports.flush();
        this.reconciler.wakeAll();
      }
      this.publishInfo(true);
    });
    if (!this.store.readOnly) return;
    // Opened read-only: it can only write again after a restart, once the disk takes writes.
    this.readOnlyProbe = setInterval(() => {
      if (!this.store.dataDirWritable()) return;
      if (this.readOnlyProbe) clearInterval(this.readOnlyProbe);
      this.log.warn('the disk takes writes again: restarting to open the store for writing');
      this.restartNeeded?.('the store was opened read-only and the disk takes writes again');
    }, this.readOnlyProbeMs);
    this.readOnlyProbe.unref();
  }

  /**
   * Trust in the clock changed, or the clock stepped: every window is evaluated again. Otherwise
   * (the minute sweep) only the locks whose deadlines passed are looked at, whatever the store's size.
   */
  private clockRechecked(everything: boolean): void {
    if (everything) this.reconciler.wakeAll();
    else this.reconciler.sweep();
    this.publishInfo(false);
  }

  /** bridge/info now: what `lockbridge status` prints and the retained topic carries. */
  info(): BridgeInfo {
    const now = this.now();
    // From the locks the drivers reach (a lock removed from the configuration is not counted), not
    // from every device row: bridge/info is looked at every few seconds, on a thousand locks too.
    const { online } = this.registry.counts();
    const offline = this.registry
      .offline()
      .flatMap((id) => {
        const device = this.store.devices.get(id);
        return device ? [device] : [];
      })
      .sort((a, b) => a.created_at - b.created_at || (a.device_id < b.device_id ? -1 : 1))
      .map((device) => device.name);
    const transports = Object.fromEntries(
      this.transports.flatMap((t) => (t.health ? [[t.name, t.health()] as const] : [])),
    );
    return bridgeInfo(
      storeInfo(this.store, this.config.gateway_id, now),
      {
        version: this.version,
        startedAt: this.startedAt,
        clock: this.clock.status(),
        locks: { online, offline },
        reconciler: this.reconciler.health(),
        transports,
        problems: this.problems?.snapshot() ?? {},
        storage: this.store.storage.status,
        extras: Object.assign({}, ...this.transports.map((t) => t.status?.() ?? {})),
      },
      now,
    );
  }

  /** Every retained topic's current state: bridge/info as last published, then each device and its codes. */
  private *retainedSnapshot(): Generator<RetainedState[]> {
    const last = this.lastInfo?.info;
    if (last) yield [{ kind: 'bridge_info', id: '', body: JSON.stringify(last) }];
    yield* retainedSnapshot(this.store);
  }

  /** What the info timer does: publishes bridge/info if it changed, or has not been for a while. */
  refreshInfo(): void {
    this.publishInfo(false);
  }

  /** Publishes bridge/info when it changed (at most every INFO_CHECK_MS), and now and then regardless. */
  private publishInfo(force: boolean): void {
    if (this.stopping) return;
    try {
      const info = this.info();
      const fingerprint = infoFingerprint(info);
      const now = this.now();
      const stale = this.lastInfo === null || now - this.lastInfo.at >= INFO_REFRESH_MS;
      if (!force && !stale && this.lastInfo?.fingerprint === fingerprint) return;
      this.changes.bridgeInfo(info);
      this.lastInfo = { fingerprint, at: now, info };
      this.onInfo?.(info);
    } catch (error) {
      this.log.error({ err: error }, 'could not publish bridge/info');
    }
  }

  /**
   * For the watchdog: the store answers a read and no reconcile step is wedged. (That this runs at
   * all shows the event loop turns.)
   */
  checkHealth(): HealthVerdict {
    try {
      this.store.health.ping();
    } catch (error) {
      return {
        healthy: false,
        reason: `the store does not answer a read (${error instanceof Error ? error.message : String(error)})`,
      };
    }
    const oldest = this.reconciler.health().oldest_step_started_at;
    if (oldest !== null && this.now() - oldest > STEP_WEDGED_MS) {
      const seconds = Math.round((this.now() - oldest) / 1000);
      return {
        healthy: false,
        reason: `a lock command has been running for ${seconds} s: the reconciler is wedged`,
      };
    }
    return { healthy: true };
  }

  /** A lock or unlock must never happen late: one the bridge was carrying out when it stopped fails. */
  private failInterruptedDoorActions(): void {
    const error = { type: 'bridge_restarted', message: 'The bridge restarted before the lock confirmed.' };
    this.changes.transaction(() => {
      for (const type of ['LOCK_DOOR', 'UNLOCK_DOOR'] as const) {
        for (const attempt of this.store.attempts.pending(type))
          this.changes.attempt(attemptFailed(attempt, error));
      }
    });
  }

  /**
   * Keeps the store bounded: events older than outbox.max_age_days and beyond outbox.max_events
   * go (saying what undelivered ones it had to drop), and answered requests and ended action
   * attempts older than requests.memory_hours; in chunks, the event loop turning between them; then the write-ahead
   * log is emptied into the database. At start, every hour, and whenever the event log grew by a
   * quarter of max_events. Joins a run already under way.
   */
  maintain(): Promise<void> {
    this.maintaining ??= this.runMaintenance().finally(() => {
      this.maintaining = null;
    });
    return this.maintaining;
  }

  private maintainIfGrown(): void {
    try {
      const grown = this.store.events.head() - this.headAtMaintenance;
      if (grown >= this.config.outbox.max_events / 4) void this.maintain();
    } catch (error) {
      this.log.error({ err: error }, 'could not look at the event log');
    }
  }

  private async runMaintenance(): Promise<void> {
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    try {
      const now = this.now();
      const { events, requests } = this.store;
      this.headAtMaintenance = events.head();
      const plan = events.planPrune(now, {
        max_age_ms: this.config.outbox.max_age_days * 24 * HOUR_MS,
        max_events: this.config.outbox.max_events,
      });
      for (const [consumer, count] of plan.lost) {
        this.log.warn(
          { consumer, dropped: count },
          'event outbox full or too old: undelivered events dropped',
        );
      }
      while (!this.stopping && events.pruneSome(plan, PRUNE_CHUNK) > 0) await turn();
      const prune = (some: () => number) => this.store.tx.run(some, { durable: false }) === PRUNE_CHUNK;
      while (!this.stopping && prune(() => requests.prune(now, PRUNE_CHUNK))) await turn();
      const endedBy = now - requests.memoryMs;
      while (!this.stopping && prune(() => this.store.attempts.prune(endedBy, PRUNE_CHUNK))) await turn();
      if (!this.stopping) this.store.checkpoint();
    } catch (error) {
      // A store that can't write says so itself, once; it is tried again within the hour.
      if (!isStorageError(error))
        this.log.error({ err: error }, 'store maintenance failed; it runs again within the hour');
    }
  }

  /**
   * Graceful shutdown (SIGTERM), within the unit's TimeoutStopSec: no new request; the lock
   * command in flight finishes, or is abandoned after COMMAND_WAIT_MS (its intent was committed
   * before it left, so the next start verifies the slot); the drivers stop; events and retained
   * state go to the broker, which is told offline; the store closes.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    if (this.maintenance) clearInterval(this.maintenance);
    if (this.growthCheck) clearInterval(this.growthCheck);
    if (this.infoTimer) clearInterval(this.infoTimer);
    if (this.readOnlyProbe) clearInterval(this.readOnlyProbe);
    this.registry.stop();
    for (const transport of this.transports) {
      if (!transport.stopRequests) continue;
      const done = await within(transport.stopRequests(), REQUESTS_WAIT_MS);
      if (!done)
        this.log.warn({ transport: transport.name }, 'requests still being handled at shutdown; not waiting');
    }
    this.clock.stop();
    const finished = await this.reconciler.stop(this.commandWaitMs);
    if (!finished) {
      this.log.warn(
        { waited_ms: this.commandWaitMs },
        'a lock command was still in flight at shutdown; abandoned (its outcome is checked at the next start)',
      );
    }
    for (const driver of this.drivers) await driver.stop();
    if (!finished) await this.reconciler.idle(ABANDONED_WAIT_MS);
    for (const transport of this.transports) await transport.stop();
    await this.maintaining; // it stops at its next chunk
    this.store.close();
    this.log.info('stopped');
  }
}

/** true when `promise` settled within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
