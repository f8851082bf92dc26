// Which slot commands wait for a retry, and until when (the delays are core/backoff.ts's).
import { type BackoffPolicy, backoffDelay } from '../core/backoff.ts';

/**
 * Node's timers run on a monotonic clock and may fire a few milliseconds before Date.now() reaches
 * the deadline they were set for; a retry that close to its time counts as due, or it would be
 * neither due nor waiting, and never retried.
 */
const TIMER_SLACK_MS = 5;

/** Per-key retry bookkeeping for one lock (in memory: a restart retries at once, which is right). */
export class RetryBook {
  private readonly entries = new Map<string, { failures: number; notBefore: number }>();

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  failed(key: string, now: number): number {
    const failures = (this.entries.get(key)?.failures ?? 0) + 1;
    const delay = backoffDelay(failures, this.policy, this.random);
    this.entries.set(key, { failures, notBefore: now + delay });
    return delay;
  }

  succeeded(key: string): void {
    this.entries.delete(key);
  }

  due(key: string, now: number): boolean {
    const entry = this.entries.get(key);
    return entry === undefined || entry.notBefore <= now + TIMER_SLACK_MS;
  }

  failures(key: string): number {
    return this.entries.get(key)?.failures ?? 0;
  }

  /** The earliest time a key that is not due yet becomes due, or null. */
  nextDue(now: number): number | null {
    let next: number | null = null;
    for (const { notBefore } of this.entries.values()) {
      if (notBefore > now + TIMER_SLACK_MS && (next === null || notBefore < next)) next = notBefore;
    }
    return next;
  }

  /** Everything may be tried again now (the lock came back). */
  clear(): void {
    this.entries.clear();
  }
}
