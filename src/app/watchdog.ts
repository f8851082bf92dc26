// The systemd watchdog: WATCHDOG=1 at half of WatchdogSec, sent only while the bridge is healthy,
// so that systemd restarts a daemon that hangs. Healthy means: this timer fires (the event loop
// turns), the store answers a read, and no reconcile step has run so long that it must be wedged.
// An unhealthy spell is logged once when it starts and once when it ends.
import type { Logger } from 'pino';
import type { Notifier } from './systemd-notify.ts';

export interface HealthVerdict {
  healthy: boolean;
  /** Why not, in words for the journal. */
  reason?: string;
}

export interface WatchdogOptions {
  /** How often to ping: half of the unit's WatchdogSec. */
  intervalMs: number;
  check: () => HealthVerdict;
  notifier: Notifier;
  log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  now?: () => number;
}

/**
 * The ping interval systemd asks for (half of WATCHDOG_USEC), or null when no watchdog is set for
 * this process (WATCHDOG_PID names another one, or nobody listens).
 */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | null {
  if (!env.NOTIFY_SOCKET || !env.WATCHDOG_USEC) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

export class Watchdog {
  private timer: NodeJS.Timeout | null = null;
  private lastTick = 0;
  private unhealthySince: number | null = null;
  private pinging = false;
  private readonly now: () => number;

  constructor(private readonly options: WatchdogOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.lastTick = this.now();
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check, and a ping when healthy (exposed for tests). */
  tick(): void {
    const { intervalMs, log } = this.options;
    const now = this.now();
    const late = now - this.lastTick - intervalMs;
    this.lastTick = now;
    if (late > intervalMs) {
      // The timer came this much too late: the event loop was blocked (systemd may already have
      // restarted us if it was longer than WatchdogSec).
      log.warn({ blocked_ms: late }, 'the event loop was blocked; watchdog ping was late');
    }
    let verdict: HealthVerdict;
    try {
      verdict = this.options.check();
    } catch (error) {
      verdict = { healthy: false, reason: error instanceof Error ? error.message : String(error) };
    }
    if (!verdict.healthy) {
      if (this.unhealthySince === null) {
        this.unhealthySince = now;
        log.error(
          { reason: verdict.reason },
          'not healthy: watchdog pings stopped; systemd restarts the bridge if this lasts',
        );
      }
      return;
    }
    if (this.unhealthySince !== null) {
      log.info({ unhealthy_ms: now - this.unhealthySince }, 'healthy again: watchdog pings resumed');
      this.unhealthySince = null;
    }
    if (this.pinging) return; // the previous systemd-notify has not finished: one is enough
    this.pinging = true;
    void this.options.notifier.notify('WATCHDOG=1').then((sent) => {
      this.pinging = false;
      if (!sent) log.debug('systemd-notify WATCHDOG=1 failed');
    });
  }
}
