// What locks report (a code used, a bolt moved, the battery, going offline) is written down as it
// comes. While the store can't write (a full or read-only disk) the reports wait here, in order and
// bounded, and are written once it can again; the bridge never dies of a report it could not store.
import type { Logger } from 'pino';
import { isStorageError } from '../store/storage-health.ts';

/** Reports kept while the store can't write; beyond, the oldest go (and are counted). */
const MAX_WAITING = 10_000;
const RETRY_MS = 5_000;

export class ReportQueue {
  private readonly waiting: Array<() => void> = [];
  private dropped = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly log: Logger) {}

  /** Writes a report now, or keeps it for later when the store can't write. */
  record(report: () => void): void {
    if (this.waiting.length > 0) {
      this.keep(report); // in order: behind those already waiting
      return;
    }
    this.attempt(report);
  }

  /** Reports waiting for the store. */
  get backlog(): number {
    return this.waiting.length;
  }

  /** Tries the waiting reports again now (the store answers again). */
  flush(): void {
    while (this.waiting.length > 0) {
      const report = this.waiting[0]!;
      try {
        report();
      } catch (error) {
        if (isStorageError(error)) {
          this.retryLater();
          return;
        }
        this.log.error({ err: error }, 'a lock report could not be recorded');
      }
      this.waiting.shift();
    }
    if (this.dropped > 0) {
      this.log.warn({ dropped: this.dropped }, 'lock reports were lost while the store could not write');
      this.dropped = 0;
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private attempt(report: () => void): void {
    try {
      report();
    } catch (error) {
      if (isStorageError(error)) this.keep(report);
      // A report must never take the daemon down: whatever else went wrong is logged.
      else this.log.error({ err: error }, 'a lock report could not be recorded');
    }
  }

  private keep(report: () => void): void {
    if (this.waiting.length >= MAX_WAITING) {
      this.waiting.shift();
      this.dropped++;
    }
    this.waiting.push(report);
    this.retryLater();
  }

  private retryLater(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, RETRY_MS);
    this.timer.unref();
  }
}
