// GET /events/stream: the event log as Server-Sent Events, for live watchers (the console). Each
// event's id is its position in the log, so a watcher that reconnects with Last-Event-ID gets
// everything it missed, oldest first, then what happens from then on. Reads the log directly:
// a watcher keeps its own position and holds back no durable consumer.
import type { Context } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import type { EventRecord, EventSource } from '../../store/events.ts';

export interface StreamFilter {
  device_id?: string;
  access_code_id?: string;
  event_types?: ReadonlySet<string>;
}

const BATCH = 100;

interface OpenStream {
  stream: SSEStreamingApi;
  wake: () => void;
}

export class EventStreams {
  private readonly open = new Set<OpenStream>();

  constructor(
    private readonly events: EventSource,
    private readonly max: number,
    private readonly heartbeatMs = 15_000,
  ) {}

  get count(): number {
    return this.open.size;
  }

  full(): boolean {
    return this.open.size >= this.max;
  }

  /** The position a stream starts after: the Last-Event-ID given, else the newest event. */
  startAfter(lastEventId: number | undefined): number {
    const head = this.events.head();
    return lastEventId === undefined ? head : Math.min(lastEventId, head);
  }

  /** `allowed`: asked again at each keep-alive; false ends the stream (its key was revoked). */
  serve(c: Context, after: number, filter: StreamFilter, allowed: () => Promise<boolean>): Response {
    c.header('X-Accel-Buffering', 'no'); // a reverse proxy must not hold events back
    return streamSSE(c, (stream) => this.run(stream, after, filter, allowed));
  }

  /** Ends every stream (the server is stopping); the watchers reconnect to the next run. */
  closeAll(): void {
    for (const entry of this.open) {
      entry.stream.abort();
      entry.wake();
    }
  }

  private async run(
    stream: SSEStreamingApi,
    after: number,
    filter: StreamFilter,
    allowed: () => Promise<boolean>,
  ): Promise<void> {
    const entry: OpenStream = { stream, wake: () => undefined };
    this.open.add(entry);
    let wakeWaiter: () => void = () => undefined;
    entry.wake = () => wakeWaiter();
    const unsubscribe = this.events.onAppend(() => wakeWaiter());
    stream.onAbort(() => wakeWaiter());
    let position = after;
    try {
      await stream.write('retry: 3000\n\n');
      while (!stream.aborted && !stream.closed) {
        const batch = this.events.after(position, BATCH);
        if (batch.length === 0) {
          const woken = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), this.heartbeatMs);
            wakeWaiter = () => {
              clearTimeout(timer);
              resolve(true);
            };
          });
          wakeWaiter = () => undefined;
          if (woken || stream.aborted) continue;
          if (!(await allowed())) break;
          // A comment now and then: proxies keep the connection, and a dead client is noticed.
          await stream.write(': keep-alive\n\n');
          continue;
        }
        for (const record of batch) {
          if (stream.aborted) break;
          position = record.seq;
          if (matches(record, filter)) await stream.writeSSE({ id: String(record.seq), data: record.body });
        }
      }
    } finally {
      unsubscribe();
      this.open.delete(entry);
    }
  }
}

function matches(record: EventRecord, filter: StreamFilter): boolean {
  if (filter.event_types && !filter.event_types.has(record.event_type)) return false;
  if (filter.device_id === undefined && filter.access_code_id === undefined) return true;
  const event = JSON.parse(record.body) as { device_id?: string; access_code_id?: string };
  if (filter.device_id !== undefined && event.device_id !== filter.device_id) return false;
  return filter.access_code_id === undefined || event.access_code_id === filter.access_code_id;
}
