// The shape of a durable outbox as the MQTT publisher drains it: the transport adapts the bridge's
// event feed and retained feed to it, naming each record's topic.

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
