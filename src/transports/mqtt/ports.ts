// What the MQTT transport needs from the rest of the bridge; the store and the API implement it.

/** A message waiting in a durable outbox; removed only after the broker's PUBACK. */
export interface OutboxMessage {
  /** Increasing within one outbox: oldest first. */
  id: number;
  /** Relative to `<base_topic>/<gateway_id>`, e.g. "events/access_code.created" or "devices/<id>". */
  topic: string;
  /** UTF-8 JSON; the empty string clears a retained topic. */
  payload: string;
  retain: boolean;
}

export interface Outbox {
  /** Up to `limit` messages with id > afterId, oldest first. */
  peek(afterId: number, limit: number): OutboxMessage[];
  /** The broker acknowledged the message: it may go. */
  acknowledge(message: OutboxMessage): void;
  /** Called after new messages were committed; returns an unsubscribe function. */
  onAppend(listener: () => void): () => void;
}

export interface RequestContext {
  /** Set by the transport when the request came without one. */
  generatedRequestId: string;
}

/** The transport-agnostic API: takes a route and its raw payload, returns the response body. Never throws. */
export type RequestHandler = (
  route: string,
  payload: Buffer,
  context: RequestContext,
) => Promise<Record<string, unknown>>;
