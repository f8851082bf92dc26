// A transport carries the API and the bridge's events to the outside (MQTT, HTTP, webhooks). The
// bridge starts each one it is given with this context and stops it on shutdown; a transport
// names its own topics or paths.
import type { Logger } from 'pino';
import type { RequestHandler } from '../api/request-handler.ts';
import type { EventSource } from '../store/events.ts';
import type { RetainedFeed, RetainedSnapshot } from '../store/retained-outbox.ts';

export interface TransportContext {
  /** The API: a route and its payload in, the response body out. */
  api: RequestHandler;
  /** The event log: a durable feed per consumer this transport declared, and live reading. */
  events: EventSource;
  /** The latest state of every public object, for transports that keep retained state. */
  retained: RetainedFeed;
  /** Every object's current retained state, read afresh: for a broker that lost it. */
  retainedSnapshot: RetainedSnapshot;
  log: Logger;
  /** The transport's status() changed: the bridge publishes its info again. */
  statusChanged: () => void;
  /** Read-only questions about the managed codes, answered by the store (nothing kept per code). */
  codes: CodeLookup;
}

/** What a lock's codes add up to, in Home Assistant's terms. */
export interface LockCodeCounts {
  /** Confirmed on the lock. */
  set: number;
  /** The lock is working on them (setting, removing, unknown). */
  pending: number;
  /** With errors, whatever their status. */
  failed: number;
}

export interface CodeLookup {
  /** A lock's live codes (not deleted) counted: one indexed query, however large the store. */
  countsOf(deviceId: string): LockCodeCounts;
  /** A code's lock and name (a deleted one too, until it has left its lock); undefined when unknown. */
  find(accessCodeId: string): { device_id: string; name: string | null } | undefined;
}

/** How a transport is doing, for bridge/info and `lockbridge status`. */
export interface TransportHealth {
  /** Connected to its broker, or listening (a server transport). */
  connected: boolean;
  /** Epoch ms since when `connected` has held its value; null: not yet known. */
  since: number | null;
  /** Why it is not connected (the last connection error), when it is not. */
  reason?: string;
}

export interface Transport {
  readonly name: string;
  /**
   * The durable event consumers this transport reads (each gets every event at least once, on its
   * own cursor). Declared before the bridge appends anything, so none is missed.
   */
  readonly eventConsumers: readonly string[];
  start(ctx: TransportContext): Promise<void>;
  /**
   * Shutdown, first part: takes no new request and resolves once the requests in hand are
   * answered. Events and retained state still flow until stop().
   */
  stopRequests?(): Promise<void>;
  /**
   * Shutdown, last part: delivers what it can within a few seconds, says goodbye (MQTT: offline)
   * and closes; what was not delivered waits in the store.
   */
  stop(): Promise<void>;
  /** Connected or not, for bridge/info's transports and `lockbridge status`. */
  health?(): TransportHealth;
  /** What else an operator should see in bridge/info (a failing webhook endpoint, the HTTP URL). */
  status?(): Record<string, unknown>;
}
