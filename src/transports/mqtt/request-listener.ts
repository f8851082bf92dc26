// Takes API requests from `<root>/request/<route>` and answers on `<root>/response/<route>` (or on
// the request's MQTT 5 Response Topic). A request is acknowledged to the broker only after its
// response was handed to the client, so a crash before that gets it redelivered.
import { randomUUID } from 'node:crypto';
import type { IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import type { RequestHandler } from '../../api/request-handler.ts';
import type { MqttConnection } from './connection.ts';

export interface RequestListenerOptions {
  /** Larger payloads are still handed to the handler (it answers invalid_input), and logged. */
  maxPayloadBytes: number;
  /** Requests handled at the same time, at most. */
  concurrency?: number;
}

export interface RequestListener {
  /** Stops taking requests and waits for those being handled. The subscription stays in the
   * broker's session on purpose: requests sent while we are down wait there for the next start. */
  stop(): Promise<void>;
}

export function startRequestListener(
  conn: MqttConnection,
  handler: RequestHandler,
  log: Logger,
  opts: RequestListenerOptions,
): RequestListener {
  const requestTopic = conn.topic('request');
  const limit = opts.concurrency ?? 64;
  const waiting: Array<() => void> = [];
  const running = new Set<Promise<void>>();

  const run = (task: () => Promise<void>): void => {
    const promise = task().finally(() => {
      running.delete(promise);
      waiting.shift()?.();
    });
    running.add(promise);
  };
  // The broker's flow control (our Receive Maximum) bounds how many can wait here.
  const schedule = (task: () => Promise<void>): void => {
    if (running.size < limit) run(task);
    else waiting.push(() => run(task));
  };

  const answer = async (packet: IPublishPacket, route: string): Promise<void> => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (payload.length > opts.maxPayloadBytes) {
      log.warn(
        { route, bytes: payload.length, max_bytes: opts.maxPayloadBytes },
        'request payload too large',
      );
    }
    const context = { generatedRequestId: randomUUID() };
    let body: Record<string, unknown>;
    try {
      body = await handler(route, payload, context);
    } catch (error) {
      // The handler promises never to throw; if it does, answer rather than have the broker
      // redeliver the same request forever.
      log.error({ err: error, route }, 'request handler threw');
      body = internalError(context.generatedRequestId);
    }
    const reply = replyTo(packet, conn.topic(`response/${route}`), log);
    conn.client.publish(reply.topic, JSON.stringify(body), reply.options, (error) => {
      if (error) log.warn({ route, err: error.message }, 'response not delivered');
    });
  };

  const inbound = conn.inbound.route((topic) => topic.startsWith(`${requestTopic}/`));
  inbound.setReceiver((packet, handled) => {
    const route = String(packet.topic).slice(requestTopic.length + 1);
    schedule(() => answer(packet, route).finally(handled));
  });
  const unsubscribe = conn.onEveryConnect(() =>
    conn.client.subscribe(`${requestTopic}/#`, { qos: 1 }, (error) => {
      // Lost with the connection: the next connect subscribes again.
      if (error && conn.connected) log.error({ err: error.message }, 'could not subscribe to requests');
    }),
  );

  return {
    async stop() {
      unsubscribe();
      inbound.setReceiver(null);
      waiting.length = 0; // never acknowledged: the broker redelivers them to the next run
      await Promise.allSettled([...running]);
    },
  };
}

interface Reply {
  topic: string;
  options: { qos: 1; retain: false; properties?: { correlationData: Buffer } };
}

/** MQTT 5 request/response: the requester's Response Topic and Correlation Data win. */
function replyTo(packet: IPublishPacket, defaultTopic: string, log: Logger): Reply {
  const { responseTopic, correlationData } = packet.properties ?? {};
  const options: Reply['options'] = { qos: 1, retain: false };
  if (correlationData) options.properties = { correlationData };
  if (responseTopic === undefined) return { topic: defaultTopic, options };
  // Publishing to a wildcard topic would get us disconnected, and the request redelivered, forever.
  if (responseTopic === '' || /[+#]/.test(responseTopic) || responseTopic.includes('\0')) {
    log.warn({ response_topic: responseTopic }, 'invalid Response Topic; answering on the default topic');
    return { topic: defaultTopic, options };
  }
  return { topic: responseTopic, options };
}

function internalError(requestId: string): Record<string, unknown> {
  return {
    ok: false,
    error: {
      type: 'internal_error',
      message: 'The bridge failed to handle the request',
      request_id: requestId,
    },
    request_id: requestId,
  };
}
