// Whether the bridge may act on the wall clock for time-bound codes: judged at start, every
// minute (the sweep) and whenever the clock steps. The newest trusted time is kept in the store,
// so a Pi that reboots into the past does not expire or program codes on a wrong date.
import type { Logger } from 'pino';
import type { WindowPolicy } from '../core/time-window.ts';
import { isStorageError } from '../store/storage-health.ts';
import type { Store } from '../store/store.ts';
import { clockFloor } from './clock-floor.ts';
import { kernelClockSynchronised } from './clock-sync.ts';
import { type ClockStatus, ClockTrust, describeClockStatus } from './clock-trust.ts';
import { type Sweep, startSweep } from './sweep.ts';

const NEWEST_SEEN = 'clock.newest_seen_ms';

export interface ClockKeeperOptions {
  store: Store;
  log: Logger;
  now: () => number;
  requireSync: boolean;
  leadMs: number;
  /**
   * After a judgement of the clock: `everything` when every window must be evaluated again (trust
   * changed, the clock stepped, or asked); otherwise the minute sweep's safety net.
   */
  onRecheck: (everything: boolean) => void;
  syncProbe?: () => Promise<boolean | null>;
  /** Watch for clock steps and sweep every minute (off in tests that drive time themselves). */
  background?: boolean;
}

export class ClockKeeper {
  private readonly trust: ClockTrust;
  private sweep: Sweep | null = null;

  constructor(private readonly options: ClockKeeperOptions) {
    this.trust = new ClockTrust({
      requireSync: options.requireSync,
      floorMs: () => clockFloor(this.newestSeen()),
      syncProbe: options.syncProbe ?? (() => kernelClockSynchronised()),
      now: options.now,
      onChange: (status) => {
        const line = describeClockStatus(status);
        if (status.trusted) options.log.info({ clock: status }, line);
        else options.log.warn({ clock: status }, line);
      },
    });
  }

  async start(): Promise<void> {
    await this.check();
    if (this.options.background === false) return;
    this.sweep = startSweep(() => this.sweepTick(), this.options.log, {
      onStep: (delta) => {
        this.options.log.warn(
          { delta_ms: Math.round(delta) },
          'the wall clock stepped; every time window is evaluated again',
        );
        void this.recheck();
      },
    });
  }

  /** Judges the clock again and has every window evaluated again. */
  async recheck(): Promise<void> {
    await this.check();
    this.options.onRecheck(true);
  }

  /** Runs the minute sweep now, as the minute does (benchmarks and tests). */
  sweepNow(): Promise<void> {
    return this.sweepTick();
  }

  /** The minute sweep: every window again only when trust in the clock changed. */
  private async sweepTick(): Promise<void> {
    const before = this.trust.current();
    const after = await this.check();
    this.options.onRecheck(before.trusted !== after.trusted || before.reason !== after.reason);
  }

  policy(): WindowPolicy {
    return { lead_ms: this.options.leadMs, clock_trusted: this.trust.current().trusted };
  }

  status(): ClockStatus {
    return this.trust.current();
  }

  stop(): void {
    this.sweep?.stop();
  }

  private async check(): Promise<ClockStatus> {
    const status = await this.trust.evaluate();
    if (status.trusted && status.now > (this.newestSeen() ?? 0)) {
      try {
        // Not flushed on its own (it would cost an fsync on the event loop every minute): a power
        // cut may lose the last minutes of the floor, which only makes it a little lower.
        this.options.store.tx.run(() => this.options.store.meta.set(NEWEST_SEEN, String(status.now)), {
          durable: false,
        });
      } catch (error) {
        // A store that can't write (it says so itself): the floor moves on once it can.
        if (!isStorageError(error)) throw error;
      }
    }
    return status;
  }

  private newestSeen(): number | null {
    const value = this.options.store.meta.get(NEWEST_SEEN);
    return value === undefined ? null : Number(value);
  }
}
