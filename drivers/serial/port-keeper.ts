// Keeps one serial port open for as long as the driver runs: opens it when it appears (a port
// missing at start, a USB lock unplugged and plugged back, a /dev/serial/by-id link that comes and
// goes), and hands out a writer only while it is open. Every open is a fresh SerialPort, because
// serialport queues writes made while a port is closed and sends them after it reopens: a stale
// WRITE_SLOT or CLEAR_SLOT must never reach the lock late.
import { EventEmitter } from 'node:events';
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import type { Frame } from './lockwire/frame.ts';
import { FrameDecoder } from './lockwire/slip.ts';

export interface PortKeeperOptions {
  path: string;
  baud_rate: number;
  /** First wait before opening again after a failure; doubles up to reopen_max_ms. */
  reopen_min_ms?: number;
  reopen_max_ms?: number;
  /** How often an open port's path is checked for still leading to the device opened. */
  watch_ms?: number;
}

export interface PortKeeperEvents {
  open: [send: (bytes: Buffer) => void];
  close: [reason: string];
  frame: [Frame];
}

export class PortKeeper extends EventEmitter<PortKeeperEvents> {
  private port: SerialPort | null = null;
  private timer: NodeJS.Timeout | null = null;
  private watch: NodeJS.Timeout | null = null;
  private running = false;
  private delay: number;
  /** The outage was logged: the next retries stay quiet until the port opens again. */
  private outageLogged = false;
  private vanishedPort: SerialPort | null = null;

  constructor(
    private readonly options: PortKeeperOptions,
    private readonly log: Logger,
  ) {
    super();
    this.delay = this.minDelay;
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.open();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.stopWatch();
    const port = this.port;
    this.port = null;
    if (port?.isOpen) {
      await new Promise<void>((resolve) => port.close(() => resolve()));
      this.emit('close', 'driver stopped');
    }
  }

  private get minDelay(): number {
    return this.options.reopen_min_ms ?? 500;
  }

  private open(): void {
    this.timer = null;
    if (!this.running) return;
    const port = new SerialPort({
      path: this.options.path,
      baudRate: this.options.baud_rate,
      autoOpen: false,
    });
    this.port = port;
    port.open((error) => {
      if (this.port !== port) return; // stopped meanwhile
      if (error) {
        this.outage(error.message);
        return;
      }
      stat(this.options.path).then(
        (device) => this.opened(port, device),
        () => port.close(() => this.outage('the port vanished while opening')),
      );
    });
  }

  private opened(port: SerialPort, device: Stats): void {
    if (this.port !== port || !port.isOpen) {
      this.outage('the port vanished while opening');
      return;
    }
    if (this.outageLogged) this.log.info({ port: this.options.path }, 'serial port open again');
    else this.log.debug({ port: this.options.path }, 'serial port open');
    this.outageLogged = false;
    this.delay = this.minDelay;
    const decoder = new FrameDecoder();
    port.pipe(decoder);
    decoder.on('data', (frame: Frame) => this.emit('frame', frame));
    port.on('error', (error) =>
      this.log.debug({ port: this.options.path, err: error.message }, 'serial port error'),
    );
    port.once('close', (error: (Error & { disconnected?: boolean }) | null) => {
      port.unpipe(decoder);
      this.stopWatch();
      if (this.port !== port) return; // closed by stop()
      const vanished = this.vanishedPort === port || error?.disconnected === true;
      this.emit('close', vanished ? 'serial port disconnected' : 'serial port closed');
      this.outage(error?.message ?? (vanished ? 'the device is gone' : 'closed'));
    });
    this.watchDevice(port, device);
    this.emit('open', (bytes) => {
      // Only the port that is open now, and only while it is: never queued for a later open.
      if (this.port === port && port.isOpen) port.write(bytes);
    });
  }

  /**
   * A read does not always fail when the device goes (a socat pty's slave can stay quiet): the path
   * must still lead to the device that was opened, or the port is closed as unplugged.
   */
  private watchDevice(port: SerialPort, opened: Stats): void {
    this.watch = setInterval(() => {
      stat(this.options.path).then(
        (now) => {
          if (now.rdev !== opened.rdev || now.ino !== opened.ino) this.vanished(port);
        },
        () => this.vanished(port),
      );
    }, this.options.watch_ms ?? 1000);
    this.watch.unref();
  }

  private vanished(port: SerialPort): void {
    if (this.port !== port || !port.isOpen) return;
    this.vanishedPort = port;
    port.close();
  }

  private stopWatch(): void {
    if (this.watch !== null) clearInterval(this.watch);
    this.watch = null;
  }

  private outage(reason: string): void {
    this.port = null;
    if (!this.running) return;
    if (!this.outageLogged) {
      this.log.warn(
        { port: this.options.path, reason },
        'serial port unavailable; retrying until it is back',
      );
      this.outageLogged = true;
    }
    this.timer = setTimeout(() => this.open(), this.delay);
    this.delay = Math.min(this.delay * 2, this.options.reopen_max_ms ?? 5000);
  }
}
