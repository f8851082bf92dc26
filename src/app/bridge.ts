// Wires the layers together: store → write path → reconciler and lock registry → API → transports,
// and the drivers underneath. Start order follows the ready line of config.md.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { LockDriver } from '../../drivers/driver.ts';
import type { ApiContext } from '../api/context.ts';
import type { RequestHandler } from '../api/request-handler.ts';
import { createRequestHandler } from '../api/router.ts';
import { Changes } from '../changes/changes.ts';
import { retainedSnapshot } from '../changes/retained-snapshot.ts';
import { ClockKeeper } from '../clock/clock-keeper.ts';
import type { Config } from '../config/schema.ts';
import { attemptFailed } from '../core/action-attempt.ts';
import { LockRegistry } from '../devices/lock-registry.ts';
import type { ReconcileContext } from '../reconciler/context.ts';
import { Reconciler } from '../reconciler/reconciler.ts';
import type { RetainedState } from '../store/retained-outbox.ts';
import { Store } from '../store/store.ts';
import type { Transport } from '../transports/transport.ts';
import { bridgeInfo } from './bridge-info.ts';
import { driversFromConfig } from './drivers-from-config.ts';
import { transportsFromConfig } from './transports-from-config.ts';

const HOUR_MS = 60 * 60 * 1000;

export interface BridgeOptions {
  config: Config;
  log: Logger;
  /** Defaults to the drivers the configuration names. Tests pass their own to keep a lock across restarts. */
  drivers?: LockDriver[];
  /** Defaults to the transports the configuration names (MQTT). Tests without a broker pass []. */
  transports?: Transport[];
  now?: () => number;
  version?: string;
  /** Clock step watch and minute sweep; tests that drive time themselves turn them off. */
  clockBackground?: boolean;
  /** Whether the system says the clock is synchronised (defaults to asking timesyncd / the kernel). */
  syncProbe?: () => Promise<boolean | null>;
}

export class Bridge {
  readonly api: RequestHandler;
  readonly store: Store;
  readonly changes: Changes;
  readonly reconciler: Reconciler;
  readonly registry: LockRegistry;
  readonly clock: ClockKeeper;
  private maintenance: NodeJS.Timeout | null = null;
  /** bridge/info as last queued, for a broker that lost it. */
  private info: object | null = null;
  private readonly startedAt: number;
  private readonly version: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly drivers: LockDriver[];
  private readonly transports: Transport[];

  private constructor(
    readonly config: Config,
    options: BridgeOptions,
  ) {
    const now = options.now ?? Date.now;
    this.now = now;
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
      onRecheck: () => this.clockRechecked(),
      syncProbe: options.syncProbe,
      background: options.clockBackground,
    });
    const windowPolicy = () => this.clock.policy();
    const reconcile: ReconcileContext = {
      store: this.store,
      changes: this.changes,
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
    const api: ApiContext = {
      store: this.store,
      changes: this.changes,
      locks: this.reconciler,
      log: this.log,
      now,
      windowPolicy,
      randomInt: (max: number) => randomInt(max),
    };
    this.api = createRequestHandler(api);
    this.drivers = options.drivers ?? driversFromConfig(config, this.log);
    this.transports = options.transports ?? transportsFromConfig(config);
  }

  static async start(options: BridgeOptions): Promise<Bridge> {
    const bridge = new Bridge(options.config, options);
    await bridge.boot();
    return bridge;
  }

  private async boot(): Promise<void> {
    const { store, config } = this;
    // Before anything is appended, so that no consumer misses an event of this run.
    store.events.declareConsumers(this.transports.flatMap((t) => t.eventConsumers));
    await this.clock.start();
    this.registry.markAllOffline();
    this.failInterruptedDoorActions();
    this.runMaintenance();
    this.maintenance = setInterval(() => this.runMaintenance(), HOUR_MS);
    this.maintenance.unref();
    this.publishInfo();
    for (const transport of this.transports) {
      await transport.start({
        api: this.api,
        events: store.events,
        retained: store.retained,
        retainedSnapshot: () => this.retainedSnapshot(),
        log: this.log,
      });
    }
    for (const driver of this.drivers) {
      await driver.start((lock) => this.registry.attach(lock));
    }
    this.reconciler.wakeAll();
    this.log.info({ gateway_id: config.gateway_id, devices: store.devices.list().length }, 'ready');
  }

  /** Trust in the clock may have changed, or time moved on: every window is evaluated again. */
  private clockRechecked(): void {
    this.reconciler.wakeAll();
    this.publishInfo();
  }

  private publishInfo(): void {
    this.info = bridgeInfo({
      gatewayId: this.config.gateway_id,
      store: this.store,
      clock: this.clock,
      version: this.version,
      startedAt: this.startedAt,
    });
    this.changes.bridgeInfo(this.info);
  }

  /** Every retained topic's current state: bridge/info as last published, then each device and its codes. */
  private *retainedSnapshot(): Generator<RetainedState[]> {
    if (this.info) yield [{ kind: 'bridge_info', id: '', body: JSON.stringify(this.info) }];
    yield* retainedSnapshot(this.store);
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
    this.clock.stop();
    await this.reconciler.stop();
    for (const driver of this.drivers) await driver.stop();
    for (const transport of this.transports) await transport.stop();
    this.store.close();
    this.log.info('stopped');
  }
}
