// Wires the layers together: store → reconciler and lock registry → API → MQTT transport, and the
// drivers underneath. Start order follows the ready line of config.md.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { LockDriver } from '../../drivers/driver.ts';
import type { ApiContext } from '../api/context.ts';
import { createRequestHandler } from '../api/router.ts';
import { ClockKeeper } from '../clock/clock-keeper.ts';
import type { Config } from '../config/schema.ts';
import { LockRegistry } from '../devices/lock-registry.ts';
import type { ReconcileContext } from '../reconciler/context.ts';
import { Reconciler } from '../reconciler/reconciler.ts';
import { Store } from '../store/store.ts';
import { RetainedState } from '../views/retained-state.ts';
import { bridgeInfo } from './bridge-info.ts';
import { driversFromConfig } from './drivers-from-config.ts';
import { type MqttLink, startMqttLink } from './mqtt-link.ts';

const HOUR_MS = 60 * 60 * 1000;

export interface BridgeOptions {
  config: Config;
  log: Logger;
  /** Defaults to the drivers the configuration names. Tests pass their own to keep a lock across restarts. */
  drivers?: LockDriver[];
  now?: () => number;
  /** Set false to run without MQTT (the API is still reachable through `bridge.api`). */
  mqtt?: boolean;
  version?: string;
  /** Clock step watch and minute sweep; tests that drive time themselves turn them off. */
  clockBackground?: boolean;
  /** Whether the system says the clock is synchronised (defaults to asking timesyncd / the kernel). */
  syncProbe?: () => Promise<boolean | null>;
}

export class Bridge {
  readonly api: ReturnType<typeof createRequestHandler>;
  private mqtt: MqttLink | null = null;
  private maintenance: NodeJS.Timeout | null = null;
  readonly clock: ClockKeeper;

  private constructor(
    readonly config: Config,
    readonly store: Store,
    readonly reconciler: Reconciler,
    readonly registry: LockRegistry,
    readonly ctx: ApiContext & ReconcileContext,
    private readonly drivers: LockDriver[],
    options: BridgeOptions,
  ) {
    this.api = createRequestHandler(ctx);
    this.clock = new ClockKeeper({
      store,
      log: ctx.log,
      now: ctx.now,
      requireSync: config.timing.require_clock_sync,
      leadMs: config.timing.time_bound_lead_s * 1000,
      onRecheck: () => this.clockRechecked(options.version),
      syncProbe: options.syncProbe,
      background: options.clockBackground,
    });
  }

  static async start(options: BridgeOptions): Promise<Bridge> {
    const { config, log } = options;
    const now = options.now ?? Date.now;
    const store = Store.open(config.data_dir, config.gateway_id);
    const retained = new RetainedState(store.state, config.mqtt.include_codes);
    let bridge: Bridge | null = null;
    const ctx = {
      store,
      retained,
      log,
      now,
      timing: {
        delay_warning_after_ms: config.timing.delay_warning_after_s * 1000,
        fail_after_ms: config.timing.fail_after_s * 1000,
      },
      backoff: { base_ms: config.timing.retry_base_ms, max_ms: config.timing.retry_max_ms },
      windowPolicy: () => bridge!.clock.policy(),
      includeCodes: config.mqtt.include_codes,
      randomInt: (max: number) => randomInt(max),
    } as ApiContext & ReconcileContext;
    const reconciler = new Reconciler(ctx, config.reconciler.max_parallel_locks);
    const registry = new LockRegistry(ctx, reconciler);
    ctx.reconciler = reconciler;
    ctx.registry = registry;
    const drivers = options.drivers ?? driversFromConfig(config, log);
    bridge = new Bridge(config, store, reconciler, registry, ctx, drivers, options);
    await bridge.boot(options);
    return bridge;
  }

  private async boot(options: BridgeOptions): Promise<void> {
    const { store, ctx, config } = this;
    await this.clock.start();
    this.registry.markAllOffline();
    failInterruptedDoorActions(ctx);
    this.runMaintenance();
    this.maintenance = setInterval(() => this.runMaintenance(), HOUR_MS);
    this.maintenance.unref();
    store.tx.run(() => store.state.put('bridge/info', JSON.stringify(bridgeInfo(this, options.version))));
    if (options.mqtt !== false) this.mqtt = await startMqttLink(config, ctx.log, store, this.api);
    for (const driver of this.drivers) {
      await driver.start((lock) => this.registry.attach(lock));
    }
    this.reconciler.wakeAll();
    ctx.log.info({ gateway_id: config.gateway_id, devices: store.devices.list().length }, 'ready');
  }

  /** Trust in the clock may have changed, or time moved on: every window is evaluated again. */
  private clockRechecked(version: string | undefined): void {
    this.reconciler.wakeAll();
    this.store.tx.run(() => this.store.state.put('bridge/info', JSON.stringify(bridgeInfo(this, version))));
  }

  /** Keeps the outbox and the request memory bounded; says what it had to drop. */
  private runMaintenance(): void {
    const now = this.ctx.now();
    const dropped = this.store.events.prune(now, {
      max_age_ms: this.config.outbox.max_age_days * 24 * HOUR_MS,
      max_events: this.config.outbox.max_events,
    });
    if (dropped > 0)
      this.ctx.log.warn({ dropped }, 'event outbox full or too old: undelivered events dropped');
    this.store.tx.run(() => this.store.requests.prune(now));
  }

  async stop(): Promise<void> {
    if (this.maintenance) clearInterval(this.maintenance);
    this.clock.stop();
    await this.reconciler.stop();
    for (const driver of this.drivers) await driver.stop();
    if (this.mqtt) await this.mqtt.close();
    this.store.close();
    this.ctx.log.info('stopped');
  }
}

/** A lock or unlock must never happen late: one the bridge was carrying out when it stopped fails. */
function failInterruptedDoorActions(ctx: ApiContext): void {
  const now = ctx.now();
  ctx.store.tx.run(() => {
    for (const type of ['LOCK_DOOR', 'UNLOCK_DOOR'] as const) {
      for (const attempt of ctx.store.attempts.pending(type)) {
        ctx.store.attempts.fail(
          attempt.action_attempt_id,
          { type: 'bridge_restarted', message: 'The bridge restarted before the lock confirmed.' },
          now,
        );
        ctx.store.events.append(
          {
            event_type:
              type === 'LOCK_DOOR' ? 'action_attempt.lock_door.failed' : 'action_attempt.unlock_door.failed',
            device_id: attempt.device_id ?? '',
            action_attempt_id: attempt.action_attempt_id,
          },
          now,
        );
      }
    }
  });
}
