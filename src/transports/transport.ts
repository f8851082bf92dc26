// A transport carries the API and the bridge's events to the outside (MQTT today, HTTP next). The
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
}

export interface Transport {
  readonly name: string;
  /**
   * The durable event consumers this transport reads (each gets every event at least once, on its
   * own cursor). Declared before the bridge appends anything, so none is missed.
   */
  readonly eventConsumers: readonly string[];
  start(ctx: TransportContext): Promise<void>;
  /** Stops taking requests and delivering; what was not delivered waits in the store. */
  stop(): Promise<void>;
}
