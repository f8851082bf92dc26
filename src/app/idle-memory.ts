// Memory given back when the daemon goes idle. V8 keeps what it grew while busy (its young
// generation at full size, old-generation pages half empty) until its own memory reducer gets
// round to it, minutes later and only in part, and a hub spends most of its life idle. So once the
// event loop has been all but idle for a while and resident memory grew since the last time, one
// full, compacting collection that releases what it can (V8's "last resort" collection: some
// 40 ms for an idle hub of 10 locks, 110 ms for one of 1,000 locks), then nothing until memory
// grows again. After a burst that grew memory a lot (a start, a bulk import) it comes after a few
// idle seconds; after a little growth, only after a long idle spell, so that a hub with steady
// light traffic is not collecting all the time.
// It needs the `gc` function that Node's --expose-gc installs (the systemd unit sets it); without
// it nothing happens.
import type { Logger } from 'pino';

export interface IdleMemoryOptions {
  /** How often the event loop's utilisation is sampled. */
  checkMs: number;
  /** Idle this long, at every sample, before memory is given back... */
  idleMs: number;
  /** ...or only this long once resident memory grew by `burstGrowth` (bytes). */
  burstIdleMs: number;
  burstGrowth: number;
  /** The loop's busy fraction under which a sample counts as idle. */
  idleBelow: number;
  /** Resident memory must have grown this much since the last collection (bytes). */
  minGrowth: number;
  /** The loop's busy fraction since the previous call (performance.eventLoopUtilization). */
  utilization: () => number;
  /** Resident memory now (bytes). */
  rss: () => number;
  /** The full collection. */
  collect: () => void;
  log: Pick<Logger, 'debug'>;
  now?: () => number;
}

type Timing = 'checkMs' | 'idleMs' | 'burstIdleMs' | 'burstGrowth' | 'idleBelow' | 'minGrowth';

export const IDLE_MEMORY_DEFAULTS: Pick<IdleMemoryOptions, Timing> = {
  checkMs: 1000,
  idleMs: 30_000,
  burstIdleMs: 3000,
  burstGrowth: 32 * 1024 * 1024,
  idleBelow: 0.02,
  minGrowth: 4 * 1024 * 1024,
};

export class IdleMemory {
  private idleFor = 0;
  /** Resident memory right after the last collection (none yet: the start grew it). */
  private afterLast = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly options: IdleMemoryOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  start(): void {
    this.options.utilization(); // from now on
    this.timer = setInterval(() => this.check(), this.options.checkMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sample; collects when the loop has been idle long enough (exposed for tests). */
  check(): void {
    const { checkMs, idleMs, burstIdleMs, burstGrowth, idleBelow, minGrowth, log } = this.options;
    if (this.options.utilization() >= idleBelow) {
      this.idleFor = 0;
      return;
    }
    this.idleFor += checkMs;
    if (this.idleFor < Math.min(idleMs, burstIdleMs)) return;
    const before = this.options.rss();
    const grown = before - this.afterLast;
    if (grown < minGrowth || (grown < burstGrowth && this.idleFor < idleMs)) return;
    const started = this.now();
    this.options.collect();
    const tookMs = this.now() - started;
    this.afterLast = this.options.rss();
    this.options.utilization(); // the collection's own time is not work that ends the idle spell
    const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
    log.debug(
      { rss_before_mib: mib(before), rss_after_mib: mib(this.afterLast), took_ms: Math.round(tookMs) },
      'idle: memory given back',
    );
  }
}

type GcFunction = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * The daemon's IdleMemory on the real event loop and V8, or null when Node was started without
 * --expose-gc.
 */
export function idleMemoryForProcess(
  log: Pick<Logger, 'debug'>,
  timing: Partial<Pick<IdleMemoryOptions, Timing>> = {},
): IdleMemory | null {
  const gc = (globalThis as { gc?: GcFunction }).gc;
  if (typeof gc !== 'function') return null;
  let last = performance.eventLoopUtilization();
  return new IdleMemory({
    ...IDLE_MEMORY_DEFAULTS,
    ...timing,
    utilization: () => {
      const now = performance.eventLoopUtilization();
      const since = performance.eventLoopUtilization(now, last);
      last = now;
      return since.utilization;
    },
    rss: () => process.memoryUsage.rss(),
    collect: () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }),
    log,
  });
}
