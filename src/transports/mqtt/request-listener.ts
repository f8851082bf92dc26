// Takes API requests from `<root>/request/<route>` and answers on `<root>/response/<route>` (or on
// the request's MQTT 5 Response Topic, where allowed). A request is acknowledged to the broker
// only after its response was handed to the client, so a crash before that gets it redelivered.
import { randomUUID } from 'node:crypto';
import type { IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import { ApiError } from '../../api/errors.ts';
import type { RequestContext, RequestHandler } from '../../api/request-handler.ts';
import type { MqttConnection } from './connection.ts';
import { type ResponseTopicCheck, responseTopicCheck } from './response-topics.ts';

export interface RequestListenerOptions {
  /** Larger payloads are still handed to the handler (it answers invalid_input), and logged. */
  maxPayloadBytes: number;
  /** Requests handled at the same time, at most. */
  concurrency?: number;
  /** Which Response Topics may be answered on; by default only below `<root>/clients/`. */
  responseTopics?: ResponseTopicCheck;
}

/** The filter the connection keeps subscribed (before it says online) for this listener. */
export const requestSubscription = (rootTopic: string): string => `${rootTopic}/request/#`;

/** Refused Response Topics are logged once each; this many are remembered. */
const REFUSALS_REMEMBERED = 100;

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
  const responseTopics =
    opts.responseTopics ?? responseTopicCheck({ rootTopic: conn.rootTopic, allowedPrefixes: [] });
  const refusalsLogged = new Set<string>();
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
    const reply = replyTo(packet, conn.topic(`response/${route}`), responseTopics);
    const context: RequestContext = { generatedRequestId: randomUUID() };
    if (reply.refused !== undefined) {
      context.refusal = responseTopicRefused(reply.refused.topic, reply.refused.reason);
      logRefusal(route, reply.refused.topic, reply.refused.reason);
    }
    let body: Record<string, unknown>;
    try {
      body = await handler(route, payload, context);
    } catch (error) {
      // The handler promises never to throw; if it does, answer rather than have the broker
      // redeliver the same request forever.
      log.error({ err: error, route }, 'request handler threw');
      body = internalError(context.generatedRequestId);
    }
    conn.client.publish(reply.topic, JSON.stringify(body), reply.options, (error) => {
      if (error) log.warn({ route, err: error.message }, 'response not delivered');
    });
  };

  // Once per topic: a client that keeps sending the same bad Response Topic is one line.
  const logRefusal = (route: string, topic: string, reason: string): void => {
    const fields = { route, response_topic: shortened(topic), reason };
    if (refusalsLogged.has(topic)) {
      log.debug(fields, 'Response Topic refused again');
      return;
    }
    if (refusalsLogged.size < REFUSALS_REMEMBERED) refusalsLogged.add(topic);
    log.warn(
      fields,
      'Response Topic refused; the request was not run, the refusal went to the default topic',
    );
  };

  // The connection keeps `<root>/request/#` subscribed (requestSubscription) before it says online.
  const inbound = conn.inbound.route((topic) => topic.startsWith(`${requestTopic}/`));
  inbound.setReceiver((packet, handled) => {
    const route = String(packet.topic).slice(requestTopic.length + 1);
    schedule(() => answer(packet, route).finally(handled));
  });

  return {
    async stop() {
      inbound.setReceiver(null);
      waiting.length = 0; // never acknowledged: the broker redelivers them to the next run
      await Promise.allSettled([...running]);
    },
  };
}

interface Reply {
  topic: string;
  /** Never retained: an answer is for the requester, not for whoever subscribes later. */
  options: { qos: 1; retain: false; properties?: { correlationData: Buffer } };
  /** The requester's Response Topic, when it was refused (the answer goes to the default topic). */
  refused?: { topic: string; reason: string };
}

/** MQTT 5 request/response: the requester's Response Topic and Correlation Data, where allowed. */
function replyTo(packet: IPublishPacket, defaultTopic: string, check: ResponseTopicCheck): Reply {
  const { responseTopic, correlationData } = packet.properties ?? {};
  const options: Reply['options'] = { qos: 1, retain: false };
  if (correlationData) options.properties = { correlationData };
  if (responseTopic === undefined) return { topic: defaultTopic, options };
  const reason = check(responseTopic);
  if (reason !== null) return { topic: defaultTopic, options, refused: { topic: responseTopic, reason } };
  return { topic: responseTopic, options };
}

function responseTopicRefused(topic: string, reason: string): ApiError {
  return new ApiError(
    'response_topic_not_allowed',
    `The bridge does not answer on the Response Topic "${shortened(topic)}": ${reason}. The request was not run.`,
    { response_topic: topic },
  );
}

/** A topic as logs and messages show it: a 64 KiB one would drown them. */
function shortened(topic: string): string {
  return topic.length > 200 ? `${topic.slice(0, 200)}…` : topic;
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
