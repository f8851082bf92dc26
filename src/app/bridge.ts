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
import { ClockKeeper } from '../clock/clock-keeper.ts';
import type { Config } from '../config/schema.ts';
import { attemptFailed } from '../core/action-attempt.ts';
import { LockRegistry } from '../devices/lock-registry.ts';
import type { ReconcileContext } from '../reconciler/context.ts';
import { Reconciler } from '../reconciler/reconciler.ts';
import { isStorageError } from '../store/storage-health.ts';
import { Store } from '../store/store.ts';
import type { Transport } from '../transports/transport.ts';
import { bridgeInfo } from './bridge-info.ts';
import { driversFromConfig } from './drivers-from-config.ts';
import { networkControl } from './network-control.ts';
import { type TransportDeps, transportsFromConfig } from './transports-from-config.ts';

const HOUR_MS = 60 * 60 * 1000;
/** How often a store opened read-only checks whether the disk takes writes again. */
const READ_ONLY_PROBE_MS = 10_000;

export interface BridgeOptions {
  config: Config;
  log: Logger;
  /** Defaults to the drivers the configuration names. Tests pass their own to keep a lock across restarts. */
  drivers?: LockDriver[];
  /**
   * Defaults to the transports the configuration names (MQTT, HTTP, webhooks). Tests without a
   * broker pass [], or a function that picks from what the configuration names.
   */
  transports?: Transport[] | ((deps: TransportDeps) => Transport[]);
  now?: () => number;
  version?: string;
  /** Clock step watch and minute sweep; tests that drive time themselves turn them off. */
  clockBackground?: boolean;
  /** Whether the system says the clock is synchronised (defaults to asking timesyncd / the kernel). */
  syncProbe?: () => Promise<boolean | null>;
  /**
   * A driver can't recover in the process (a Zigbee adapter that can't be restarted in it): the
   * daemon should stop cleanly and be started again (the command exits for systemd to restart it).
   * Without it the bridge runs on without that driver's locks.
   */
  onRestartNeeded?: (reason: string) => void;
  /** How often a store opened read-only checks whether the disk takes writes again (tests shorten it). */
  readOnlyProbeMs?: number;
}

export class Bridge {
  readonly api: RequestHandler;
  readonly store: Store;
  readonly changes: Changes;
  readonly reconciler: Reconciler;
  readonly registry: LockRegistry;
  readonly clock: ClockKeeper;
  private maintenance: NodeJS.Timeout | null = null;
  private readOnlyProbe: NodeJS.Timeout | null = null;
  private readonly restartNeeded: ((reason: string) => void) | undefined;
  private readonly readOnlyProbeMs: number;
  private readonly startedAt: number;
  private readonly version: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly drivers: LockDriver[];
  readonly transports: readonly Transport[];
  /** The HTTP API's keys (also made and revoked by `lockbridge api-key`, on the same store). */
  readonly apiKeys: ApiKeys;

  private constructor(
    readonly config: Config,
    options: BridgeOptions,
  ) {
    const now = options.now ?? Date.now;
    this.now = now;
    this.restartNeeded = options.onRestartNeeded;
    this.readOnlyProbeMs = options.readOnlyProbeMs ?? READ_ONLY_PROBE_MS;
    this.log = options.log;
    this.startedAt = now();
    this.version = options.version ?? process.env.npm_package_version ?? 'unknown';
    this.store = Store.open(config.data_dir, config.gateway_id);
    this.changes = new Changes(this.store, now);
    this.clock = new ClockKeeper({
      store: this.store,
      log: this.log,
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
      log: this.log,
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
      { store: this.store, changes: this.changes, log: this.log, now },
      this.reconciler,
    );
    this.drivers =
      options.drivers ??
      driversFromConfig(
        config,
        this.log,
        options.onRestartNeeded ? { restartDaemon: options.onRestartNeeded } : {},
      );
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
    const deps: TransportDeps = { apiKeys: this.apiKeys };
    const transports = options.transports ?? ((d: TransportDeps) => transportsFromConfig(config, d));
    this.transports = typeof transports === 'function' ? transports(deps) : transports;
  }

  static async start(options: BridgeOptions): Promise<Bridge> {
    const bridge = new Bridge(options.config, options);
    await bridge.boot();
    return bridge;
  }

  private async boot(): Promise<void> {
    const { store, config } = this;
    // Before anything is appended, so that no consumer misses an event of this run.
    this.watchStorage();
    // On a full or read-only disk the bridge still comes up: it answers storage_unavailable to
    // what would write, keeps locks' reports in memory, and catches up when the store writes again.
    this.tolerate(() => store.events.declareConsumers(this.transports.flatMap((t) => t.eventConsumers)));
    await this.clock.start();
    this.tolerate(() => this.registry.markAllOffline());
    this.tolerate(() => this.failInterruptedDoorActions());
    this.tolerate(() => this.runMaintenance());
    this.maintenance = setInterval(() => this.runMaintenance(), HOUR_MS);
    this.maintenance.unref();
    this.publishInfo();
    for (const transport of this.transports) {
      await transport.start({
        api: this.api,
        events: store.events,
        retained: store.retained,
        log: this.log,
        statusChanged: () => this.publishInfo(),
      });
    }
    this.publishInfo(); // with what the transports say now that they run
    for (const driver of this.drivers) {
      await driver.start((lock) => this.registry.attach(lock));
    }
    this.reconciler.wakeAll();
    this.log.info({ gateway_id: config.gateway_id, devices: store.devices.list().length }, 'ready');
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
    this.store.health.onChange((status) => {
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
      this.publishInfo();
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
    this.publishInfo();
  }

  private publishInfo(): void {
    this.changes.bridgeInfo(
      bridgeInfo({
        gatewayId: this.config.gateway_id,
        store: this.store,
        clock: this.clock,
        version: this.version,
        startedAt: this.startedAt,
        transports: this.transports,
      }),
    );
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

  /** Keeps the event log and the request memory bounded; says what it had to drop. */
  private runMaintenance(): void {
    const now = this.now();
    const dropped = this.store.events.prune(now, {
      max_age_ms: this.config.outbox.max_age_days * 24 * HOUR_MS,
      max_events: this.config.outbox.max_events,
    });
    for (const [consumer, count] of dropped) {
      this.log.warn({ consumer, dropped: count }, 'event outbox full or too old: undelivered events dropped');
    }
    this.store.tx.run(() => this.store.requests.prune(now));
  }

  async stop(): Promise<void> {
    if (this.maintenance) clearInterval(this.maintenance);
    if (this.readOnlyProbe) clearInterval(this.readOnlyProbe);
    this.registry.stop();
    this.clock.stop();
    await this.reconciler.stop();
    for (const driver of this.drivers) await driver.stop();
    for (const transport of this.transports) await transport.stop();
    this.store.close();
    this.log.info('stopped');
  }
}
