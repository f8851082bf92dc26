// Keeps one herdsman Controller running for as long as the driver runs. A coordinator missing at
// start is tried again with backoff. When the adapter disconnects, what happens depends on the
// adapter: in-process restart with backoff (a new Controller on the same port), or, where herdsman
// 10.9's adapter cannot be restarted in the process (deconz keeps ticking after stop() and reopens
// the port, so a second Controller fails with "Cannot lock port"), a request to restart the whole
// daemon (systemd does it), which the bridge carries out after a clean stop. One warning per outage.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  Controller,
  controllerOptions,
  herdsmanReason,
  type NetworkSettings,
  resetHerdsmanCaches,
} from './herdsman.ts';

export type AdapterLossPlan = 'restart' | 'exit';

export interface KeeperTimings {
  /** First wait before starting the coordinator again; doubles up to restart_max_ms. */
  restart_min_ms: number;
  restart_max_ms: number;
  /** How long a Controller gets to stop before it is left behind. */
  stop_timeout_ms: number;
}

export interface KeeperEvents {
  up: [Controller];
  down: [reason: string];
}

export class ControllerKeeper extends EventEmitter<KeeperEvents> {
  private controller: Controller | null = null;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private delay: number;
  private outageLogged = false;
  private exitAsked = false;

  constructor(
    private readonly settings: () => NetworkSettings,
    private readonly plan: AdapterLossPlan,
    private readonly timings: KeeperTimings,
    private readonly log: Logger,
    /** Asks the daemon to restart (systemd starts it again); absent: the bridge runs on without Zigbee. */
    private readonly restartDaemon: ((reason: string) => void) | null,
  ) {
    super();
    this.delay = timings.restart_min_ms;
  }

  /** The running Controller, or null while the coordinator is away. */
  get current(): Controller | null {
    return this.controller;
  }

  /** Starts the coordinator; resolves after the first attempt, whatever its outcome (retries go on). */
  async start(): Promise<void> {
    this.running = true;
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const controller = this.controller;
    this.controller = null;
    if (controller) {
      this.emit('down', 'the driver stopped');
      await this.stopWithin(controller);
    }
  }

  private async attempt(): Promise<void> {
    this.timer = null;
    if (!this.running) return;
    let settings: NetworkSettings;
    let controller: Controller;
    try {
      settings = this.settings();
      controller = new Controller(controllerOptions(settings));
    } catch (error) {
      this.failed(herdsmanReason(error));
      return;
    }
    try {
      await controller.start();
    } catch (error) {
      await this.stopWithin(controller);
      resetHerdsmanCaches();
      this.failed(herdsmanReason(error));
      return;
    }
    if (!this.running) {
      await this.stopWithin(controller);
      return;
    }
    this.controller = controller;
    controller.on('adapterDisconnected', () => this.lost(controller, 'the coordinator adapter disconnected'));
    const where = { adapter: settings.adapter, port: settings.port, channel: settings.channel };
    if (this.outageLogged) this.log.info(where, 'Zigbee coordinator running again');
    else this.log.info(where, 'Zigbee coordinator running');
    this.outageLogged = false;
    this.delay = this.timings.restart_min_ms;
    this.emit('up', controller);
  }

  private lost(controller: Controller, reason: string): void {
    if (this.controller !== controller) return;
    this.controller = null;
    this.emit('down', reason);
    if (this.plan === 'exit') {
      if (this.exitAsked) return;
      this.exitAsked = true;
      if (this.restartDaemon) {
        this.log.error(
          { reason },
          'Zigbee coordinator lost; this adapter cannot be restarted in the process: restarting lockbridge',
        );
        this.restartDaemon(`Zigbee coordinator lost (${reason})`);
      } else {
        this.log.error(
          { reason },
          'Zigbee coordinator lost; this adapter cannot be restarted in the process: restart lockbridge',
        );
      }
      return;
    }
    if (!this.outageLogged) this.log.warn({ reason }, 'Zigbee coordinator lost; restarting it with backoff');
    this.outageLogged = true;
    void this.stopWithin(controller).then(() => this.retryLater());
  }

  private failed(reason: string): void {
    if (!this.running) return;
    if (!this.outageLogged)
      this.log.warn({ reason }, 'Zigbee coordinator unavailable; retrying with backoff until it starts');
    else this.log.debug({ reason, retry_in_ms: this.delay }, 'Zigbee coordinator still unavailable');
    this.outageLogged = true;
    this.retryLater();
  }

  private retryLater(): void {
    if (!this.running || this.timer) return;
    this.timer = setTimeout(() => void this.attempt(), this.delay);
    this.timer.unref();
    this.delay = Math.min(this.delay * 2, this.timings.restart_max_ms);
  }

  /** Stops a Controller, giving up after a while (an adapter that hangs on stop is left behind). */
  private async stopWithin(controller: Controller): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.timings.stop_timeout_ms);
    });
    await Promise.race([controller.stop().catch(() => undefined), late]);
    clearTimeout(timer);
  }
}
