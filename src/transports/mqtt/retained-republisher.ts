// A broker that starts a new session for us (restarted without persistence, say) has lost our
// retained topics too: until the next change, access_codes/* and devices/* would stay missing.
// So on every new session each object's current retained state is published again (as
// Zigbee2MQTT does on connect), batch by batch: a batch is read from the store and published in
// one turn of the event loop, so nothing read goes out after a newer state of the same object.
import type { Logger } from 'pino';
import type { RetainedSnapshot } from '../../store/retained-outbox.ts';
import type { ConnectedInfo, MqttConnection } from './connection.ts';
import { retainedPublication } from './topics.ts';

export interface RetainedRepublisherOptions {
  includeCodes: boolean;
  /** Messages published but not yet acknowledged before the next batch is read, at most. */
  window?: number;
}

export interface RetainedRepublisher {
  stop(): void;
}

export function startRetainedRepublisher(
  conn: MqttConnection,
  snapshot: RetainedSnapshot,
  log: Logger,
  opts: RetainedRepublisherOptions,
): RetainedRepublisher {
  const window = opts.window ?? 32;
  /** Counts runs: a run a later connect replaced (or stop) gives up at its next batch. */
  let run = 0;
  /** A run started and did not finish: a reconnect, even to a kept session, starts it over. */
  let unfinished = false;
  let stopped = false;
  let inFlight = 0;
  /** Woken at each acknowledgement (and by stop), to look at inFlight again. */
  const waiters: Array<() => void> = [];
  const wake = (): void => {
    for (const waiter of waiters.splice(0)) waiter();
  };

  const publishAll = async (): Promise<void> => {
    const mine = ++run;
    unfinished = true;
    let published = 0;
    let refused = 0;
    log.info('the broker has no session for us: publishing every retained topic again');
    for (const batch of snapshot()) {
      if (stopped || mine !== run || !conn.connected) return;
      for (const state of batch) {
        const { topic, payload } = retainedPublication(state, opts.includeCodes);
        inFlight++;
        conn.client.publish(conn.topic(topic), payload, { qos: 1, retain: true }, (error) => {
          inFlight--;
          if (error && refused++ === 0) {
            // Once a run (an ACL refusing one refuses them all). The payload may hold a PIN: never shown.
            log.warn({ topic, err: error.message }, 'broker did not take a retained topic');
          }
          wake();
        });
        published++;
      }
      while (inFlight >= window && !stopped) await new Promise<void>((resolve) => waiters.push(resolve));
    }
    while (inFlight > 0 && !stopped && mine === run)
      await new Promise<void>((resolve) => waiters.push(resolve));
    if (mine !== run || stopped) return;
    unfinished = false;
    log.info({ topics: published, refused }, 'every retained topic published again');
  };

  const onConnected = (info: ConnectedInfo): void => {
    if (!info.newSession && !unfinished) return;
    publishAll().catch((error: unknown) => {
      log.error({ err: error }, 'could not publish the retained topics again; trying on the next connect');
    });
  };
  conn.on('connected', onConnected);

  return {
    stop() {
      stopped = true;
      conn.off('connected', onConnected);
      wake();
    },
  };
}
