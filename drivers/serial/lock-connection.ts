// One configured serial port and whichever lockwire lock answers on it: opens the port (PortKeeper),
// runs the link over it, asks GET_INFO to learn who is there, sets the lock's clock, and routes the
// lock's events. A request that goes unanswered is followed by one GET_INFO: if the lock answers
// it, only that request fails (the lock may be unable to answer that one request) and the lock stays
// online. When the lock stops answering altogether it is probed with GET_INFO, backing off, until it
// answers again; after EVT_BOOT its INFO is read again before anyone is told of the reboot.
import type { Logger } from 'pino';
import { DriverError } from '../driver.ts';
import { Link, LinkError } from './lockwire/link.ts';
import type { LockEvent, LockInfo, Request, Response } from './lockwire/messages.ts';
import { PortKeeper } from './port-keeper.ts';
import type { LockSession, SerialLock } from './serial-lock.ts';
import { capabilitiesOf, hasClock, infoProblem } from './translate.ts';

export interface SerialPortConfig {
  path: string;
  baud_rate: number;
  response_timeout_ms: number;
}

export interface ConnectionTimings {
  /** First wait between GET_INFO probes of a silent lock; doubles up to probe_max_ms. */
  probe_min_ms?: number;
  probe_max_ms?: number;
  /** First wait before reopening a missing port; doubles up to reopen_max_ms. */
  reopen_min_ms?: number;
  reopen_max_ms?: number;
  /** How often an open port's path is checked for still leading to its device (default 1 s). */
  watch_ms?: number;
  /** How often SET_CLOCK is sent to a lock with a clock (spec: hourly). */
  clock_interval_ms?: number;
}

/** The driver's side: which handle a lock with this INFO is (created and announced when new). */
export type AdoptLock = (info: LockInfo, configuredName: string) => SerialLock;

export class LockConnection implements LockSession {
  private readonly keeper: PortKeeper;
  private readonly link: Link;
  private lock: SerialLock | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private clockTimer: NodeJS.Timeout | null = null;
  private probeDelay: number;
  private probing = false;
  private silenceLogged = false;
  /** Recording a lock event failed and was logged; said again only after one succeeded. */
  private eventFailureLogged = false;
  private running = false;

  constructor(
    private readonly name: string,
    config: SerialPortConfig,
    private readonly adopt: AdoptLock,
    private readonly log: Logger,
    private readonly timings: ConnectionTimings = {},
  ) {
    this.probeDelay = this.probeMin;
    // The liveness check after an unanswered request: GET_INFO, which every lockwire lock answers.
    this.link = new Link({
      response_timeout_ms: config.response_timeout_ms,
      liveness: { type: 'get_info' },
      // Until GET_INFO says which lock this is, nobody could record its keypad use: the lock keeps
      // the event and sends it again. A boot is ours to handle (it means: probe).
      acceptEvent: (event) => event.type === 'boot' || this.lock !== null,
    });
    this.keeper = new PortKeeper({ path: config.path, baud_rate: config.baud_rate, ...timings }, log);
    this.keeper.on('open', (send) => {
      this.link.connect(send);
      this.probeDelay = this.probeMin;
      void this.probe();
    });
    this.keeper.on('close', (reason) => this.lost(reason));
    this.keeper.on('frame', (frame) => this.link.receive(frame));
    this.link.on('unreachable', () => this.silent());
    // Whoever asked is told (a DriverError 'timeout'); the lock is not offline, so no warning here.
    this.link.on('unanswered', (request) =>
      this.log.debug({ request: request.type }, 'a request went unanswered, but the lock answers GET_INFO'),
    );
    this.link.on('event', (event) => {
      this.lockEvent(event);
      this.eventFailureLogged = false;
    });
    this.link.on('event_failed', (event, error) => this.eventNotRecorded(event, error));
  }

  start(): void {
    this.running = true;
    this.keeper.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.keeper.stop();
    this.lost('driver stopped');
  }

  async request(request: Request, what: string): Promise<Response> {
    try {
      return await this.link.request(request);
    } catch (error) {
      if (!(error instanceof LinkError)) throw error;
      if (error.kind === 'timeout') {
        throw new DriverError('timeout', `lock ${this.name} did not answer ${what} (${error.message})`);
      }
      throw new DriverError(
        'offline',
        `lock ${this.name} is offline; ${what} was not sent (${error.message})`,
      );
    }
  }

  private get probeMin(): number {
    return this.timings.probe_min_ms ?? 1000;
  }

  /** GET_INFO until the lock answers; then it is online. */
  private async probe(): Promise<void> {
    if (this.probing || !this.running || !this.link.connected) return;
    this.probing = true;
    this.cancelProbe();
    try {
      const info = await this.getInfo();
      const lock = this.adopt(info, this.name);
      if (this.lock !== null && this.lock !== lock)
        this.lock.detach(this, 'another lock answers on this port');
      this.lock = lock;
      const caps = capabilitiesOf(info);
      await this.setClock(info);
      // Status before online: "online" means the connect sequence is over and the line is free.
      const status = await this.readStatus();
      if (this.silenceLogged) this.log.info({ lock: lock.identity }, 'lock answers again');
      this.silenceLogged = false;
      this.probeDelay = this.probeMin;
      lock.attach(this, caps);
      if (status) lock.status(status);
      this.startClock(info);
    } catch (error) {
      this.probeFailed(error as Error);
    } finally {
      this.probing = false;
    }
  }

  private async getInfo(): Promise<LockInfo> {
    const response = await this.request({ type: 'get_info' }, 'GET_INFO');
    if (response.type !== 'info') throw new Error('GET_INFO was not answered with INFO');
    const problem = infoProblem(response.info);
    if (problem !== null) throw new Error(problem);
    return response.info;
  }

  private probeFailed(error: Error): void {
    if (!this.running || !this.link.connected) return; // the port closed: its reopening probes again
    this.cancelProbe(); // a probe's own timeout reports twice (the link, then the request)
    if (!this.silenceLogged) {
      this.log.warn({ reason: error.message }, 'lock does not answer; probing with GET_INFO until it does');
      this.silenceLogged = true;
    }
    this.probeTimer = setTimeout(() => void this.probe(), this.probeDelay);
    this.probeDelay = Math.min(this.probeDelay * 2, this.timings.probe_max_ms ?? 30_000);
  }

  private cancelProbe(): void {
    if (this.probeTimer !== null) clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }

  /** Re-sends ran out, and the GET_INFO after them too: offline until a probe gets an answer. */
  private silent(): void {
    this.stopClock();
    this.lock?.detach(this, 'the lock stopped answering');
    this.probeFailed(new Error('no answer after the re-sends'));
  }

  /** The port closed (unplugged, or the driver stopped): offline until it is back. */
  private lost(reason: string): void {
    this.link.disconnect(reason);
    this.cancelProbe();
    this.stopClock();
    this.lock?.detach(this, reason);
  }

  /** Not ACKed, so the lock sends it again; logged once until an event is recorded again. */
  private eventNotRecorded(event: LockEvent, error: Error): void {
    const fields = { event: event.type, reason: error.message };
    if (this.eventFailureLogged) {
      this.log.debug(fields, 'lock event still not recorded');
      return;
    }
    this.eventFailureLogged = true;
    this.log.warn(fields, 'could not record a lock event; not acknowledged, so the lock sends it again');
  }

  private lockEvent(event: LockEvent): void {
    if (event.type === 'boot') {
      void this.booted(event.reason === 'factory_reset');
      return;
    }
    this.lock?.lockEvent(event);
  }

  /** After EVT_BOOT: INFO again (firmware may have changed), the clock, then tell whoever listens. */
  private async booted(factoryReset: boolean): Promise<void> {
    this.log.warn({ factory_reset: factoryReset }, 'lock rebooted');
    const lock = this.lock;
    if (lock === null || !lock.online) {
      void this.probe();
      return;
    }
    try {
      const info = await this.getInfo();
      if (`lockwire:${info.serial_number}` !== lock.identity) {
        void this.probe(); // another lock came up on this port: adopt it afresh
        return;
      }
      await this.setClock(info);
      lock.rebooted(capabilitiesOf(info), factoryReset);
    } catch (error) {
      this.log.warn({ reason: (error as Error).message }, 'reading INFO after a reboot failed');
    }
  }

  private async setClock(info: LockInfo): Promise<void> {
    if (!hasClock(info)) return;
    const response = await this.request(
      { type: 'set_clock', now: Math.floor(Date.now() / 1000) },
      'SET_CLOCK',
    );
    if (response.type === 'nak') this.log.warn({ error: response.error }, 'the lock refused SET_CLOCK');
  }

  private startClock(info: LockInfo): void {
    this.stopClock();
    if (!hasClock(info)) return;
    this.clockTimer = setInterval(() => {
      this.setClock(info).catch((error: Error) =>
        this.log.debug({ reason: error.message }, 'SET_CLOCK failed'),
      );
    }, this.timings.clock_interval_ms ?? 3_600_000);
    this.clockTimer.unref();
  }

  private stopClock(): void {
    if (this.clockTimer !== null) clearInterval(this.clockTimer);
    this.clockTimer = null;
  }

  /** Lock state, door and battery; null when the lock did not say. */
  private async readStatus(): Promise<Extract<Response, { type: 'status' }> | null> {
    const response = await this.request({ type: 'get_status' }, 'GET_STATUS').catch(() => null);
    return response?.type === 'status' ? response : null;
  }
}
