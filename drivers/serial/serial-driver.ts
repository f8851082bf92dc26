// The serial driver: lockwire v1 locks on serial ports (USB adapters, /dev/serial/by-id links).
// Each configured port gets a LockConnection; a lock is known by the serial number its GET_INFO
// reports, so a lock moved to another port is the same LockHandle (and keeps its device and codes).
import type { Logger } from 'pino';
import type { LockDriver, LockHandle } from '../driver.ts';
import { type ConnectionTimings, LockConnection, type SerialPortConfig } from './lock-connection.ts';
import type { LockInfo } from './lockwire/messages.ts';
import { SerialLock } from './serial-lock.ts';

export interface SerialLockConfig {
  name: string;
  serial: SerialPortConfig;
}

export type SerialDriverOptions = ConnectionTimings;

export class SerialDriver implements LockDriver {
  readonly kind = 'serial' as const;
  private readonly connections: LockConnection[];
  /** By identity; kept across stop/start so a lock stays one handle. */
  private readonly locks = new Map<string, SerialLock>();
  private announced = new Set<string>();
  private onLock: ((lock: LockHandle) => void) | null = null;

  constructor(
    locks: SerialLockConfig[],
    private readonly log: Logger,
    options: SerialDriverOptions = {},
  ) {
    const paths = new Set<string>();
    for (const lock of locks) {
      if (paths.has(lock.serial.path)) throw new Error(`two serial locks share the port ${lock.serial.path}`);
      paths.add(lock.serial.path);
    }
    this.connections = locks.map(
      (lock) =>
        new LockConnection(
          lock.name,
          lock.serial,
          (info, name) => this.adopt(info, name),
          log.child({ lock: lock.name, port: lock.serial.path }),
          options,
        ),
    );
  }

  /** Resolves at once: each lock is announced when it first answers GET_INFO. */
  async start(onLock: (lock: LockHandle) => void): Promise<void> {
    this.onLock = onLock;
    this.announced = new Set();
    for (const connection of this.connections) connection.start();
  }

  /** Closes every port; the handles go offline and stop reporting to this run's listeners. */
  async stop(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.stop()));
    for (const lock of this.locks.values()) lock.removeAllListeners();
    this.onLock = null;
  }

  private adopt(info: LockInfo, configuredName: string): SerialLock {
    const identity = `lockwire:${info.serial_number}`;
    let lock = this.locks.get(identity);
    if (lock === undefined) {
      lock = new SerialLock(identity, configuredName, this.log.child({ lock: configuredName, identity }));
      this.locks.set(identity, lock);
    }
    if (!this.announced.has(identity)) {
      this.announced.add(identity);
      this.log.info({ identity, name: lock.name, firmware: info.firmware }, 'serial lock found');
      this.onLock?.(lock);
    }
    return lock;
  }
}
