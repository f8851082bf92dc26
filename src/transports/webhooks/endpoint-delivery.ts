// Delivers the event log to one webhook endpoint through its own durable cursor: one event at a
// time, oldest first, and the cursor moves past an event only once the endpoint answered 2xx. A
// failure is retried with backoff, forever (the log's bounds, outbox.max_*, are the only limit),
// and across restarts, since the cursor is in the store. A dead endpoint holds back only itself.
// The outage is logged when it starts and when it ends, not at each retry.
import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelay } from '../../core/backoff.ts';
import type { EventFeed, EventRecord } from '../../store/events.ts';
import { signWebhook } from './signature.ts';

export interface WebhookEndpoint {
  id: string;
  url: string;
  /** whsec_… */
  secret: string;
  /** null: every event. */
  eventTypes: ReadonlySet<string> | null;
  timeoutMs: number;
  backoff: BackoffPolicy;
}

export interface EndpointStatus {
  id: string;
  /** The URL without credentials, query or fragment (they may hold tokens). */
  url: string;
  consumer: string;
  state: 'delivering' | 'failing';
  failing_since: string | null;
  consecutive_failures: number;
  last_error: string | null;
  delivered_since_start: number;
}

/** What a POST came to: delivered, or why not in words. */
type Outcome = { ok: true } | { ok: false; reason: string };

export type Post = (
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
) => Promise<Outcome>;

export const postWithFetch: Post = async (url, body, headers, signal) => {
  try {
    const response = await fetch(url, { method: 'POST', body, headers, signal, redirect: 'manual' });
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true };
    return { ok: false, reason: `the endpoint answered HTTP ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if ((error as Error).name === 'TimeoutError') return { ok: false, reason: 'no answer in time' };
    return { ok: false, reason: cause?.code ?? cause?.message ?? (error as Error).message };
  }
};

export function publicUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export class EndpointDelivery {
  private running: Promise<void> | null = null;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  private readonly stopController = new AbortController();
  private wakeFromPause: (() => void) | null = null;
  private failures = 0;
  private failingSince: number | null = null;
  private lastError: string | null = null;
  private delivered = 0;

  constructor(
    private readonly endpoint: WebhookEndpoint,
    private readonly feed: EventFeed,
    private readonly log: Logger,
    /** The endpoint started or stopped failing (bridge/info says so). */
    private readonly onStateChange: () => void,
    private readonly post: Post = postWithFetch,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.unsubscribe = this.feed.onAppend(() => this.kick());
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.stopController.abort();
    this.wakeFromPause?.();
    await this.running;
  }

  status(): EndpointStatus {
    return {
      id: this.endpoint.id,
      url: publicUrl(this.endpoint.url),
      consumer: this.feed.consumer,
      state: this.failingSince === null ? 'delivering' : 'failing',
      failing_since: this.failingSince === null ? null : new Date(this.failingSince).toISOString(),
      consecutive_failures: this.failures,
      last_error: this.lastError,
      delivered_since_start: this.delivered,
    };
  }

  /** New events: drain, unless a drain (or its pause after a failure) is under way. */
  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = null;
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const next = this.feed.peek(0, 1)[0];
      if (!next) return;
      if (this.endpoint.eventTypes && !this.endpoint.eventTypes.has(next.event_type)) {
        this.feed.acknowledge(next.seq);
        continue;
      }
      const outcome = await this.send(next);
      if (this.stopped) return;
      if (outcome.ok) {
        this.feed.acknowledge(next.seq);
        this.delivered++;
        this.succeeded();
      } else {
        this.failed(next, outcome.reason);
        await this.pause(backoffDelay(this.failures, this.endpoint.backoff));
      }
    }
  }

  private async send(record: EventRecord): Promise<Outcome> {
    const eventId = (JSON.parse(record.body) as { event_id: string }).event_id;
    const signed = signWebhook(this.endpoint.secret, eventId, Math.floor(this.now() / 1000), record.body);
    const signal = AbortSignal.any([
      this.stopController.signal,
      AbortSignal.timeout(this.endpoint.timeoutMs),
    ]);
    return this.post(
      this.endpoint.url,
      record.body,
      { 'Content-Type': 'application/json', 'User-Agent': 'lockbridge-webhooks', ...signed },
      signal,
    );
  }

  private succeeded(): void {
    if (this.failingSince === null) return;
    this.log.info(
      {
        webhook: this.endpoint.id,
        url: publicUrl(this.endpoint.url),
        failed_attempts: this.failures,
        outage_s: Math.round((this.now() - this.failingSince) / 1000),
      },
      'webhook endpoint takes events again',
    );
    this.failures = 0;
    this.failingSince = null;
    this.lastError = null;
    this.onStateChange();
  }

  private failed(record: EventRecord, reason: string): void {
    this.failures++;
    this.lastError = reason;
    if (this.failingSince !== null) {
      this.log.debug(
        { webhook: this.endpoint.id, seq: record.seq, reason, failures: this.failures },
        'webhook retry failed',
      );
      return;
    }
    this.failingSince = this.now();
    this.log.warn(
      { webhook: this.endpoint.id, url: publicUrl(this.endpoint.url), event_type: record.event_type, reason },
      'webhook endpoint does not take events: retrying with backoff; its events wait in the store',
    );
    this.onStateChange();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeFromPause = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeFromPause = done;
    });
  }
}
