// A generic work queue, one entry per key (a lock's device_id), in the manner of controller-runtime's
// workqueue: wake(key) marks it dirty; a dirty key runs its step, one step at a time per key, at
// most `concurrency` keys at once. The step says whether it did something (then it runs again at
// once) and when to look again. A step that throws is retried with exponential backoff, and the
// failure is logged once until a step succeeds again. It knows nothing of locks or codes.
import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelay } from '../core/backoff.ts';
import { Semaphore } from './semaphore.ts';

export interface StepResult {
  /** It did something (sent a command, read the lock): run the step again now. */
  again: boolean;
  /** When to look again if nothing wakes the key sooner (epoch ms), or null: only when woken. */
  lookAt: number | null;
}

export type Step = (key: string) => Promise<StepResult>;

/** What the queue is doing, for health reports and the watchdog. Read-only. */
export interface QueueHealth {
  /** Steps running now. */
  running: number;
  /** When the longest-running step started (epoch ms), or null: none runs. */
  oldest_step_started_at: number | null;
  /** Keys whose last step threw (retrying with backoff). */
  failing: number;
}

export interface LockQueueOptions {
  concurrency: number;
  backoff: BackoffPolicy;
  now: () => number;
  log: Pick<Logger, 'error' | 'info' | 'debug'>;
  random?: () => number;
  /** Failures someone else reports once (a store that can't write): logged at debug only. */
  expected?: (error: unknown) => boolean;
}

/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A step with nothing to do that names a moment already past would spin: look again after this. */
const PAST_LOOK_MS = 1000;
/** Steps run back to back (a thousand locks woken at once) give the event loop a turn this often. */
const TURN_MS = 10;

/** When the current turn of the event loop began, as far as the steps know. */
let turnStarted = performance.now();
/** When the marker of the next turn was queued (null: none is); one lost to a faked clock is queued again. */
let markerQueuedAt: number | null = null;

/**
 * Notes when the next turn begins: an immediate queued before the steps that wait for that turn,
 * so it runs first among them. (Each step noting it for itself when it resumes would give every
 * one of a thousand steps resumed in the same turn a fresh budget: one turn of 700 ms.)
 */
function noteNextTurn(now: number): void {
  if (markerQueuedAt !== null && now - markerQueuedAt >= 0 && now - markerQueuedAt < 1000) return;
  markerQueuedAt = now;
  setImmediate(() => {
    markerQueuedAt = null;
    turnStarted = performance.now();
  });
}

/** Lets requests, answers and timers in between steps once this turn has run long enough. */
async function shareTheLoop(): Promise<void> {
  for (;;) {
    const now = performance.now();
    if (markerQueuedAt === null) {
      // No marker waits, so the last one ran: this is the first step of a new turn (the loop may
      // have idled for a lock's answer until now), and the turn's budget starts here. Counting the
      // idle time against it made every step after a wait yield twice: 7 % slower convergence.
      turnStarted = now;
      noteNextTurn(now);
      return;
    }
    const elapsed = now - turnStarted;
    // (Negative only when a clock was faked and given back: a turn of unknown length.)
    if (elapsed >= 0 && elapsed < TURN_MS) return;
    noteNextTurn(now);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

interface Entry {
  dirty: boolean;
  running: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  /** Steps that threw in a row. */
  failures: number;
  /** The first of them was logged at error (its recovery is then logged too). */
  failureLogged: boolean;
  /** When the step running now started (after it got its turn), or null. */
  stepStartedAt: number | null;
}

export class LockQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly semaphore: Semaphore;
  private stopped = false;

  constructor(
    private readonly step: Step,
    private readonly options: LockQueueOptions,
  ) {
    this.semaphore = new Semaphore(options.concurrency);
  }

  wake(key: string): void {
    if (this.stopped) return;
    const entry = this.entry(key);
    entry.dirty = true;
    entry.running ??= this.drain(key, entry);
  }

  /** Steps that threw in a row for this key (0 when the last one succeeded). */
  failures(key: string): number {
    return this.entries.get(key)?.failures ?? 0;
  }

  health(): QueueHealth {
    let running = 0;
    let oldest: number | null = null;
    let failing = 0;
    for (const entry of this.entries.values()) {
      if (entry.failures > 0) failing++;
      if (entry.stepStartedAt === null) continue;
      running++;
      if (oldest === null || entry.stepStartedAt < oldest) oldest = entry.stepStartedAt;
    }
    return { running, oldest_step_started_at: oldest, failing };
  }

  /** Stops running steps; resolves once none is running. */
  async stop(waitMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.stopped = true;
    for (const entry of this.entries.values()) this.clearTimer(entry);
    return this.idleWithin(waitMs);
  }

  /** true once no step runs; false if one still runs after `waitMs`. */
  async idleWithin(waitMs: number): Promise<boolean> {
    if (!Number.isFinite(waitMs)) {
      await this.idle();
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    try {
      return await Promise.race([this.idle().then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once no step is running. */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.entries.values()].flatMap((e) => (e.running ? [e.running] : []));
      if (running.length === 0) return;
      await Promise.allSettled(running);
    }
  }

  private entry(key: string): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {
        dirty: false,
        running: null,
        timer: null,
        failures: 0,
        failureLogged: false,
        stepStartedAt: null,
      };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private async drain(key: string, entry: Entry): Promise<void> {
    let lookAt: number | null = null;
    try {
      while (entry.dirty && !this.stopped) {
        await shareTheLoop();
        const release = await this.semaphore.acquire();
        try {
          // A permit handed over as another step ends comes within that step's turn: a thousand
          // locks waiting for one would otherwise run one after the other in a single turn.
          await shareTheLoop();
          if (this.stopped) break;
          // Wakes that came while the key waited for its turn are served by this step, which reads
          // the state as it is now (a thousand locks woken at start, then again as each comes online,
          // cost a step each, not two).
          entry.dirty = false;
          entry.stepStartedAt = this.options.now();
          const result = await this.step(key);
          if (entry.failures > 0) {
            const line = { key, failures: entry.failures };
            if (entry.failureLogged) this.options.log.info(line, 'reconcile step works again');
            else this.options.log.debug(line, 'reconcile step works again');
            entry.failures = 0;
            entry.failureLogged = false;
          }
          if (result.again) entry.dirty = true;
          lookAt = result.again ? null : this.notPast(result.lookAt);
        } catch (error) {
          entry.failures++;
          const delay = backoffDelay(entry.failures, this.options.backoff, this.options.random);
          const fields = { key, err: error, failures: entry.failures, retry_in_ms: delay };
          // Once per condition: the journal at 3 a.m. should say it once, not every retry.
          const expected = this.options.expected?.(error) ?? false;
          if (entry.failures === 1 && !expected) {
            this.options.log.error(fields, 'reconcile step failed; retrying with backoff');
            entry.failureLogged = true;
          } else this.options.log.debug(fields, 'reconcile step failed again');
          lookAt = this.options.now() + delay;
        } finally {
          entry.stepStartedAt = null;
          release();
        }
      }
    } finally {
      entry.running = null;
    }
    this.schedule(key, entry, lookAt);
  }

  private notPast(lookAt: number | null): number | null {
    if (lookAt === null) return null;
    const now = this.options.now();
    return lookAt > now ? lookAt : now + PAST_LOOK_MS;
  }

  private schedule(key: string, entry: Entry, lookAt: number | null): void {
    this.clearTimer(entry);
    if (this.stopped || lookAt === null || entry.running) return;
    const delay = Math.min(Math.max(0, lookAt - this.options.now()), MAX_TIMER_MS);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      this.wake(key);
    }, delay);
    entry.timer.unref();
  }

  private clearTimer(entry: Entry): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
  }
}
