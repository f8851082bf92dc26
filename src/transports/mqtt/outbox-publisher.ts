// Drains one durable outbox to the broker: QoS 1, oldest first, and a message leaves the outbox
// only once the broker acknowledged it (PUBACK). At least once: consumers de-duplicate by event_id.
import type { Logger } from 'pino';
import type { MqttConnection } from './connection.ts';
import type { Outbox, OutboxMessage } from './ports.ts';

export interface OutboxPublisherOptions {
  /** Messages published but not yet acknowledged, at most. */
  window?: number;
  /** After the broker refused a message, try again from the oldest after this pause. */
  retryDelayMs?: number;
}

export interface OutboxPublisher {
  /**
   * Resolves once everything in the outbox was acknowledged by the broker, or at once when not
   * connected, or after `timeoutMs` (shutdown: what is left waits in the store for the next run).
   * True when the outbox was empty.
   */
  flush(timeoutMs: number): Promise<boolean>;
  stop(): void;
}

export function startOutboxPublisher(
  conn: MqttConnection,
  outbox: Outbox,
  log: Logger,
  opts: OutboxPublisherOptions = {},
): OutboxPublisher {
  const window = opts.window ?? 32;
  const retryDelayMs = opts.retryDelayMs ?? 5000;
  // Handed to mqtt.js and not yet acknowledged. mqtt.js itself re-sends these after a reconnect,
  // so they are skipped when the drain starts over, never published twice at once.
  const inFlight = new Set<number>();
  /** The newest id handed out since the drain last started over from the oldest. */
  let cursor = 0;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  /** flush() calls waiting for the outbox to empty. */
  const flushWaiters = new Set<(force: boolean) => void>();

  const isEmpty = (): boolean => {
    try {
      return inFlight.size === 0 && outbox.peek(0, 1).length === 0;
    } catch {
      return false; // the store does not answer: nothing more leaves it now
    }
  };
  const settleFlushes = (force = false): void => {
    for (const settle of [...flushWaiters]) settle(force);
  };

  const drain = (): void => {
    try {
      while (!stopped && conn.connected && inFlight.size < window) {
        const batch = outbox.peek(cursor, window - inFlight.size);
        if (batch.length === 0) return;
        for (const message of batch) {
          cursor = message.id;
          if (!inFlight.has(message.id)) publish(message);
        }
      }
    } catch (error) {
      log.error({ err: error }, 'could not read the outbox; trying again later');
      retryLater();
    }
  };

  const publish = (message: OutboxMessage): void => {
    inFlight.add(message.id);
    const options = { qos: 1 as const, retain: message.retain };
    conn.client.publish(conn.topic(message.topic), message.payload, options, (error) => {
      inFlight.delete(message.id);
      if (error) {
        // The payload may hold a PIN (mqtt.include_codes): name the message, never show it.
        log.warn(
          { topic: message.topic, outbox_id: message.id, err: error.message },
          'broker did not take message',
        );
        retryLater();
        return;
      }
      acknowledge(message);
      drainSoon();
    });
  };

  // PUBACKs and commits come in bursts: one read of the outbox a turn serves all of them.
  let drainScheduled = false;
  const drainSoon = (): void => {
    if (drainScheduled) return;
    drainScheduled = true;
    setImmediate(() => {
      drainScheduled = false;
      drain();
      settleFlushes();
    });
  };

  const acknowledge = (message: OutboxMessage): void => {
    try {
      outbox.acknowledge(message);
    } catch (error) {
      // Stays in the outbox and goes out again after the next start: a duplicate, not a loss.
      log.error(
        { err: error, topic: message.topic, outbox_id: message.id },
        'could not remove a delivered message',
      );
    }
  };

  const startOver = (): void => {
    cursor = 0;
    drain();
  };

  const retryLater = (): void => {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      startOver();
    }, retryDelayMs);
  };

  conn.on('connected', startOver);
  const unsubscribe = outbox.onAppend(drainSoon);
  startOver();

  return {
    flush(timeoutMs) {
      return new Promise<boolean>((resolve) => {
        const settle = (force: boolean) => {
          const emptied = isEmpty();
          if (!force && !emptied && conn.connected) return;
          clearTimeout(timer);
          flushWaiters.delete(settle);
          resolve(emptied);
        };
        const timer = setTimeout(() => settle(true), timeoutMs);
        flushWaiters.add(settle);
        drain();
        settle(false);
      });
    },
    stop() {
      stopped = true;
      conn.off('connected', startOver);
      unsubscribe();
      clearTimeout(retryTimer);
      settleFlushes(true);
    },
  };
}
