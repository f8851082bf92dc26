// The MQTT transport: the broker (or the embedded one), the event and retained-state feeds drained
// to it, the request listener feeding the API, and Home Assistant discovery when configured.
import type { BackoffPolicy } from '../../core/backoff.ts';
import type { Transport, TransportContext, TransportHealth } from '../transport.ts';
import { connectMqtt, type MqttConnection } from './connection.ts';
import type { EmbeddedBroker } from './embedded-broker.ts';
import { HomeAssistant, type HomeAssistantOptions } from './homeassistant/home-assistant.ts';
import { type OutboxPublisher, startOutboxPublisher } from './outbox-publisher.ts';
import type { Outbox } from './ports.ts';
import { type RequestListener, requestSubscription, startRequestListener } from './request-listener.ts';
import { baseTopicOf, responseTopicCheck } from './response-topics.ts';
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
  /** Home Assistant MQTT discovery; absent: off. */
  homeAssistant?: HomeAssistantOptions;
}

/** The event consumer whose cursor the MQTT transport moves. */
const MQTT_CONSUMER = 'mqtt';
/** At shutdown, how long the outboxes may take to reach the broker before the connection closes. */
const FLUSH_MS = 5000;

export class MqttTransport implements Transport {
  readonly name = 'mqtt';
  readonly eventConsumers = [MQTT_CONSUMER];
  private connection: MqttConnection | null = null;
  private listener: RequestListener | null = null;
  private publishers: OutboxPublisher[] = [];
  private republisher: RetainedRepublisher | null = null;
  private homeAssistant: HomeAssistant | null = null;
  private broker: EmbeddedBroker | null = null;

  constructor(private readonly options: MqttTransportOptions) {}

  async start(ctx: TransportContext): Promise<void> {
    const { options } = this;
    const log = ctx.log.child({ component: 'mqtt' });
    let url = options.url;
    if (url === 'embedded') {
      // Loaded only here: a hub on a real broker never loads aedes.
      const { startEmbeddedBroker } = await import('./embedded-broker.ts');
      this.broker = await startEmbeddedBroker({ port: options.embeddedPort }, log);
      url = this.broker.url;
    }
    // Created before connecting: its subscriptions are in place before the bridge says online.
    let api = ctx.api;
    if (options.homeAssistant) {
      this.homeAssistant = new HomeAssistant(options.homeAssistant, options.rootTopic, ctx.log);
      api = this.homeAssistant.observe(api);
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
        subscriptions: [
          requestSubscription(options.rootTopic),
          ...(this.homeAssistant?.subscriptions(options.rootTopic) ?? []),
        ],
      },
      log,
    );
    this.connection = connection;
    this.publishers = [
      startOutboxPublisher(connection, this.retainedOutbox(ctx), log),
      startOutboxPublisher(connection, this.eventOutbox(ctx), log),
    ];
    this.republisher = startRetainedRepublisher(connection, ctx.retainedSnapshot, log, {
      includeCodes: options.includeCodes,
    });
    this.listener = startRequestListener(connection, api, log, {
      maxPayloadBytes: options.maxPayloadBytes,
      responseTopics: responseTopicCheck({
        rootTopic: options.rootTopic,
        // Home Assistant's discovery topics are the bridge's too: no answer may go there.
        ownPrefixes: [
          `${baseTopicOf(options.rootTopic)}/`,
          ...(options.homeAssistant ? [`${options.homeAssistant.discoveryPrefix}/`] : []),
        ],
        allowedPrefixes: options.responseTopicPrefixes ?? [],
      }),
    });
    await this.homeAssistant?.start(connection, api, ctx.events, ctx.codes);
    // Every topic of ours has its receiver: a message nobody claims (a former run's subscription) goes.
    connection.inbound.open();
  }

  async stopRequests(): Promise<void> {
    this.homeAssistant?.stop();
    await this.listener?.stop();
  }

  async stop(): Promise<void> {
    await this.stopRequests();
    // What the last commands changed (events, retained state) reaches the broker before goodbye.
    await Promise.all(this.publishers.map((publisher) => publisher.flush(FLUSH_MS)));
    for (const publisher of this.publishers.splice(0)) publisher.stop();
    this.republisher?.stop();
    await this.connection?.close();
    await this.broker?.close();
    this.broker = null;
  }

  health(): TransportHealth {
    return this.connection?.status() ?? { connected: false, since: null, reason: 'not started' };
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
        retained.peek(afterId, limit).map((record) => {
          this.homeAssistant?.retained(record);
          return retainedMessage(record, this.options.includeCodes);
        }),
      acknowledge: (message) => retained.acknowledge(message.id),
      onAppend: (listener) => retained.onAppend(listener),
    };
  }
}
