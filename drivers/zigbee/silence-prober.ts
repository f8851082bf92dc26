// A lock that stopped answering is probed (one cheap read) with backoff until it answers again:
// never a storm at a sleeping lock. The silence is logged once, and its end once.
import type { Logger } from 'pino';

export interface ProbeTimings {
  /** First wait between probes; doubles up to probe_max_ms. */
  probe_min_ms: number;
  probe_max_ms: number;
}

export class SilenceProber {
  private timer: NodeJS.Timeout | null = null;
  private delay: number;
  private logged = false;

  constructor(
    /** One probe: does the lock answer? */
    private readonly probe: () => Promise<boolean>,
    /** Whether probing makes sense now (the lock is reachable and not answering). */
    private readonly wanted: () => boolean,
    private readonly answered: () => void,
    private readonly timings: ProbeTimings,
    private readonly log: Logger,
  ) {
    this.delay = timings.probe_min_ms;
  }

  /** The lock answered: no more probes; a later silence starts again from the shortest wait. */
  reset(): void {
    this.stop();
    this.delay = this.timings.probe_min_ms;
    if (this.logged) this.log.info('Zigbee lock answers again');
    this.logged = false;
  }

  /** The lock does not answer: say so (once) and probe it with backoff. */
  silent(reason: string | null = null): void {
    if (!this.logged)
      this.log.warn({ reason }, 'Zigbee lock does not answer; probing it with backoff until it does');
    this.logged = true;
    this.stop();
    if (!this.wanted()) return;
    this.timer = setTimeout(() => void this.now(), this.delay);
    this.timer.unref();
    this.delay = Math.min(this.delay * 2, this.timings.probe_max_ms);
  }

  /** Probes at once (a lock reached again, whose state is not known). */
  async now(): Promise<void> {
    this.stop();
    if (!this.wanted()) return;
    if (await this.probe()) this.answered();
    else if (this.wanted()) this.silent();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
