// The MQTT transport: the broker (or the embedded one), the event and retained-state feeds drained
// to it, and the request listener feeding the API.
import type { BackoffPolicy } from '../../core/backoff.ts';
import type { Transport, TransportContext } from '../transport.ts';
import { connectMqtt } from './connection.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from './embedded-broker.ts';
import { type OutboxPublisher, startOutboxPublisher } from './outbox-publisher.ts';
import type { Outbox } from './ports.ts';
import { type RequestListener, requestSubscription, startRequestListener } from './request-listener.ts';
import { responseTopicCheck } from './response-topics.ts';
import { type RetainedRepublisher, startRetainedRepublisher } from './retained-republisher.ts';
import { eventMessage, retainedMessage } from './topics.ts';

export interface MqttTransportOptions {
  /** mqtt://, mqtts://, ws:// or wss://; or "embedded" for an in-process broker (demo, development). */
  url: string;
  embeddedPort: number;
  clientId: string;
  username?: string;
  password?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** `<base_topic>/<gateway_id>`. */
  rootTopic: string;
  includeCodes: boolean;
  maxPayloadBytes: number;
  /** Where MQTT 5 Response Topics may point besides `<root>/clients/` (mqtt.response_topic_prefixes). */
  responseTopicPrefixes?: readonly string[];
  backoff?: BackoffPolicy;
}

/** The event consumer whose cursor the MQTT transport moves. */
const MQTT_CONSUMER = 'mqtt';

export class MqttTransport implements Transport {
  readonly name = 'mqtt';
  readonly eventConsumers = [MQTT_CONSUMER];
  private closers: Array<() => Promise<void> | void> = [];

  constructor(private readonly options: MqttTransportOptions) {}

  async start(ctx: TransportContext): Promise<void> {
    const { options } = this;
    const log = ctx.log.child({ component: 'mqtt' });
    let url = options.url;
    let broker: EmbeddedBroker | null = null;
    if (url === 'embedded') {
      broker = await startEmbeddedBroker({ port: options.embeddedPort }, log);
      url = broker.url;
    }
    const connection = await connectMqtt(
      {
        url,
        clientId: options.clientId,
        username: options.username,
        password: options.password,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        rootTopic: options.rootTopic,
        backoff: options.backoff,
        subscriptions: [requestSubscription(options.rootTopic)],
      },
      log,
    );
    const publishers: OutboxPublisher[] = [
      startOutboxPublisher(connection, this.retainedOutbox(ctx), log),
      startOutboxPublisher(connection, this.eventOutbox(ctx), log),
    ];
    const republisher: RetainedRepublisher = startRetainedRepublisher(connection, ctx.retainedSnapshot, log, {
      includeCodes: options.includeCodes,
    });
    const listener: RequestListener = startRequestListener(connection, ctx.api, log, {
      maxPayloadBytes: options.maxPayloadBytes,
      responseTopics: responseTopicCheck({
        rootTopic: options.rootTopic,
        allowedPrefixes: options.responseTopicPrefixes ?? [],
      }),
    });
    this.closers = [
      () => listener.stop(),
      () => {
        for (const publisher of publishers) publisher.stop();
        republisher.stop();
      },
      () => connection.close(),
      ...(broker ? [() => broker.close()] : []),
    ];
  }

  async stop(): Promise<void> {
    for (const close of this.closers.splice(0)) await close();
  }

  private eventOutbox(ctx: TransportContext): Outbox {
    const feed = ctx.events.feed(MQTT_CONSUMER);
    return {
      peek: (afterId, limit) => feed.peek(afterId, limit).map(eventMessage),
      acknowledge: (message) => feed.acknowledge(message.id),
      onAppend: (listener) => feed.onAppend(listener),
    };
  }

  private retainedOutbox(ctx: TransportContext): Outbox {
    const { retained } = ctx;
    return {
      peek: (afterId, limit) =>
        retained.peek(afterId, limit).map((record) => retainedMessage(record, this.options.includeCodes)),
      acknowledge: (message) => retained.acknowledge(message.id),
      onAppend: (listener) => retained.onAppend(listener),
    };
  }
}
