// The bridge's one MQTT connection: MQTT 5 with a persistent session (3.1.1 when the broker
// refuses 5), the bridge/state last will, our subscriptions in place before we say online, and
// reconnecting forever with backoff.
import { EventEmitter } from 'node:events';
import {
  ErrorWithReasonCode,
  type IClientOptions,
  type IConnackPacket,
  type ISubscriptionMap,
  type MqttClient,
} from 'mqtt';
import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelay } from '../../core/backoff.ts';

const DEFAULT_BACKOFF: BackoffPolicy = { base_ms: 1000, max_ms: 30_000 };

import { brokerClient } from './broker-client.ts';
import { InboundAcks } from './inbound-acks.ts';

export interface MqttOptions {
  /** mqtt://, mqtts://, ws:// or wss://. */
  url: string;
  /** Fixed, so that the broker finds our session again after a restart. */
  clientId: string;
  username?: string;
  password?: string;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** `<base_topic>/<gateway_id>`; every topic of ours is below it. */
  rootTopic: string;
  /** Defaults to 1 s doubling up to 30 s. */
  backoff?: BackoffPolicy;
  /**
   * Topic filters subscribed before bridge/state says online, on the first connect and whenever
   * the broker has no session for us: a client that acts on `online` is heard. A bare filter is
   * QoS 1.
   */
  subscriptions?: readonly Subscription[];
}

export type Subscription =
  | string
  | {
      filter: string;
      qos: 0 | 1;
      /** MQTT 5 Retain As Published: a message published retained arrives marked so. */
      rap?: boolean;
    };

/** What a connect brought: whether the broker kept our session (subscriptions, retained state). */
export interface ConnectedInfo {
  /** The broker started afresh (a new session): retained state it had may be gone too. */
  newSession: boolean;
}

/** The broker keeps our subscriptions and queues QoS 1 requests this long while we are away. */
const SESSION_EXPIRY_S = 7 * 24 * 3600;
/** At most this many unacknowledged requests in flight to us: bounds what we hold in memory. */
const RECEIVE_MAXIMUM = 64;
const STATE_TOPIC = 'bridge/state';
const ONLINE = JSON.stringify({ state: 'online' });
const OFFLINE = JSON.stringify({ state: 'offline' });
const CLOSE_TIMEOUT_MS = 5000;

export async function connectMqtt(opts: MqttOptions, log: Logger): Promise<MqttConnection> {
  const connection = new MqttConnection(opts, log);
  await connection.firstAttempt;
  return connection;
}

/**
 * Resolves connectMqtt once the first attempt settled: connected, or the broker is unreachable and
 * the connection keeps trying in the background (the bridge runs on; its outboxes wait).
 */
export class MqttConnection extends EventEmitter<{ connected: [ConnectedInfo]; disconnected: [] }> {
  readonly client: MqttClient;
  readonly rootTopic: string;
  /** Deferred PUBACKs for incoming messages; the request listener attaches to it. */
  readonly inbound: InboundAcks;
  readonly firstAttempt: Promise<void>;
  private online = false;
  private closing = false;
  /** Counts connects, so that a SUBACK from a connection since lost announces nothing. */
  private connects = 0;
  private readonly subscriptions = new Map<string, { qos: 0 | 1; rap: boolean }>();
  private switchingProtocol = false;
  private attempt = 0;
  private lastError = '';
  private outage: { since: number; attempts: number } | null = null;
  /** When `online` last changed (epoch ms); null before the first attempt settled. */
  private changedAt: number | null = null;
  private settleFirstAttempt: () => void = () => {};
  /** The callbacks of our `online` publishes the broker has not acknowledged yet. */
  private readonly onlineInFlight = new Set<unknown>();
  private readonly backoff: BackoffPolicy;
  private readonly log: Logger;

  constructor(opts: MqttOptions, log: Logger) {
    super();
    this.rootTopic = opts.rootTopic;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    for (const subscription of opts.subscriptions ?? []) this.remember(subscription);
    this.log = log.child({ broker: redactUrl(opts.url), client_id: opts.clientId });
    this.firstAttempt = new Promise((resolve) => {
      this.settleFirstAttempt = resolve;
    });
    this.client = brokerClient(opts.url, this.clientOptions(opts));
    this.inbound = new InboundAcks(this.client, () => this.online);
    this.client.on('connect', (connack) => this.onConnect(connack));
    this.client.on('close', () => this.onClose());
    this.client.on('error', (error) => this.onError(error));
    this.client.on('reconnect', () => this.onReconnectAttempt());
    // E.g. 0x8E "session taken over": another process is using our client id.
    this.client.on('disconnect', (packet) => {
      this.lastError = `the broker disconnected us (reason code ${packet.reasonCode ?? 'none'})`;
    });
  }

  get connected(): boolean {
    return this.online;
  }

  /** Connected or not, since when, and why not (for bridge/info). */
  status(): { connected: boolean; since: number | null; reason?: string } {
    if (this.online) return { connected: true, since: this.changedAt };
    return { connected: false, since: this.changedAt, reason: this.lastError || 'not connected yet' };
  }

  /** 5, or 4 (MQTT 3.1.1) after the broker refused 5. */
  get protocolVersion(): 4 | 5 {
    return this.client.options.protocolVersion === 5 ? 5 : 4;
  }

  topic(relative: string): string {
    return `${this.rootTopic}/${relative}`;
  }

  /**
   * Keeps `filter` subscribed (QoS 1) from now on: subscribed at once when connected, and again on
   * every new session (mqtt.js's own re-subscribing is off). Resolves once the broker answered.
   */
  async keepSubscribed(subscription: Subscription): Promise<void> {
    const filter = this.remember(subscription);
    if (this.online) await this.subscribeAll(this.connects, [filter]);
  }

  private remember(subscription: Subscription): string {
    const { filter, qos, rap } =
      typeof subscription === 'string' ? { filter: subscription, qos: 1 as const, rap: false } : subscription;
    this.subscriptions.set(filter, { qos, rap: rap ?? false });
    return filter;
  }

  /** Says offline (retained), waits for the broker to take it, then disconnects cleanly. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.online) {
      await this.client.endAsync(true); // nobody to say goodbye to; the will already said offline
      return;
    }
    await withTimeout(
      this.client.publishAsync(this.topic(STATE_TOPIC), OFFLINE, { qos: 1, retain: true }),
      CLOSE_TIMEOUT_MS,
    ).catch((error: Error) => this.log.warn({ err: error.message }, 'could not publish offline state'));
    // A clean end waits for every in-flight PUBACK; a broker gone quiet must not hold up shutdown.
    const ended = await withTimeout(this.client.endAsync(false), CLOSE_TIMEOUT_MS).then(
      () => true,
      () => false,
    );
    if (!ended) this.client.stream.destroy();
  }

  private clientOptions(opts: MqttOptions): IClientOptions {
    return {
      clientId: opts.clientId,
      ...(opts.username === undefined ? {} : { username: opts.username }),
      password: opts.password,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: SESSION_EXPIRY_S, receiveMaximum: RECEIVE_MAXIMUM },
      will: { topic: this.topic(STATE_TOPIC), payload: Buffer.from(OFFLINE), qos: 1, retain: true },
      reconnectPeriod: backoffDelay(1, this.backoff),
      // Keep trying after a refused CONNECT too (bad credentials get fixed, brokers get restarted).
      reconnectOnConnackError: true,
      // We subscribe again ourselves, and wait for the SUBACK before announcing online.
      resubscribe: false,
      // mqtt-packet would otherwise keep a ready-made Buffer for each of the 65,536 packet ids
      // and lengths: 6.5 MiB of heap to save a 2-byte allocation per packet.
      writeCache: false,
    };
  }

  private onConnect(connack: IConnackPacket): void {
    const connect = ++this.connects;
    setNoDelay(this.client);
    this.attempt = 0;
    this.client.options.reconnectPeriod = backoffDelay(1, this.backoff);
    const newSession = !connack.sessionPresent;
    if (newSession) this.inbound.sessionLost();
    if (this.outage) {
      const outageMs = Date.now() - this.outage.since;
      this.log.info({ outage_ms: outageMs, attempts: this.outage.attempts }, 'MQTT broker reachable again');
      this.outage = null;
    } else {
      this.log.info(
        { protocol_version: this.protocolVersion, session_present: connack.sessionPresent },
        'connected to MQTT broker',
      );
    }
    this.online = true;
    this.changedAt = Date.now();
    this.inbound.flush();
    // The first connect subscribes even to a kept session: the topics may have changed since.
    const subscribed = newSession || connect === 1 ? this.subscribeAll(connect) : Promise.resolve();
    void subscribed.then(() => {
      if (connect !== this.connects || !this.online) return; // lost meanwhile: the next connect says it
      this.announceOnline();
      this.settleFirstAttempt();
      this.emit('connected', { newSession });
    });
  }

  private announceOnline(): void {
    const acknowledged = () => this.onlineInFlight.delete(acknowledged);
    this.onlineInFlight.add(acknowledged);
    this.client.publish(this.topic(STATE_TOPIC), ONLINE, { qos: 1, retain: true }, acknowledged);
  }

  /**
   * mqtt.js sends every unacknowledged QoS 1 publish again on the next connect, before it even
   * reports the CONNACK: an `online` from a lost connection would reach a new session ahead of our
   * subscriptions. Each connect says online itself, after its SUBACK.
   */
  private forgetUnacknowledgedOnline(): void {
    for (const [messageId, { cb }] of Object.entries(this.client.outgoing)) {
      if (this.onlineInFlight.has(cb)) this.client.removeOutgoingMessage(Number(messageId));
    }
  }

  /** Resolves once the broker answered every subscription (a refusal is logged, not thrown). */
  private async subscribeAll(connect: number, filters = [...this.subscriptions.keys()]): Promise<void> {
    if (filters.length === 0) return;
    const v5 = this.protocolVersion === 5;
    const map: ISubscriptionMap = {};
    for (const filter of filters) {
      const { qos, rap } = this.subscriptions.get(filter)!;
      // rh 1: a retained message is not handed to us again for a subscription we already had.
      map[filter] = v5 ? { qos, rh: 1, rap } : { qos };
    }
    try {
      await this.client.subscribeAsync(map);
    } catch (error) {
      if (connect !== this.connects || !this.online) return; // gone; the next connect subscribes again
      this.log.error(
        { err: (error as Error).message, topics: filters },
        'the broker refused our subscription',
      );
    }
  }

  private onClose(): void {
    const wasOnline = this.online;
    this.online = false;
    this.forgetUnacknowledgedOnline();
    if (wasOnline || this.changedAt === null) this.changedAt = Date.now();
    if (this.switchingProtocol) {
      this.switchingProtocol = false;
      return;
    }
    if (!this.closing && !this.outage) {
      // Once per outage, not per attempt: the journal at 3 a.m. should say it once.
      this.outage = { since: Date.now(), attempts: 0 };
      this.log.warn({ reason: this.lastError || 'connection closed' }, 'MQTT broker unreachable; retrying');
    }
    this.settleFirstAttempt();
    if (wasOnline) this.emit('disconnected');
  }

  private onError(error: Error): void {
    if (this.protocolVersion === 5 && refusesMqtt5(error)) {
      this.fallBackToMqtt311();
      return;
    }
    this.lastError = explainConnectionError(error);
    this.log.debug({ err: error.message }, 'MQTT connection error');
  }

  private onReconnectAttempt(): void {
    this.attempt += 1;
    if (this.outage) this.outage.attempts += 1;
    // mqtt.js reads the period each time it schedules the next attempt: this one is for the next failure.
    this.client.options.reconnectPeriod = backoffDelay(this.attempt + 1, this.backoff);
  }

  /** mqtt.js builds every CONNECT and parser from client.options, so this holds for all later attempts. */
  private fallBackToMqtt311(): void {
    const options = this.client.options;
    options.protocolVersion = 4;
    delete options.properties;
    if (options.will) delete options.will.properties;
    this.switchingProtocol = true;
    options.reconnectPeriod = 1;
    this.log.info('the broker refused MQTT 5; using MQTT 3.1.1');
  }
}

/**
 * Nagle's algorithm holds a small packet back until the last one is acknowledged, and the broker's
 * delayed ACK holds that back ~40 ms: a request and its answer took ~87 ms instead of ~2. Set on
 * every connect, since each reconnect brings a new socket. A WebSocket stream has no such option.
 */
function setNoDelay(client: MqttClient): void {
  const stream = client.stream as { setNoDelay?: (noDelay: boolean) => unknown };
  stream.setNoDelay?.(true);
}

/**
 * A broker that only speaks 3.1.1 answers an MQTT 5 CONNECT with a 3.1.1 CONNACK, return code 1
 * "unacceptable protocol version" (aedes 1.x does); MQTT 5 brokers would say 0x84. Return code 1
 * is no MQTT 5 reason code, so it can only mean this.
 */
function refusesMqtt5(error: Error): boolean {
  return error instanceof ErrorWithReasonCode && (error.code === 1 || error.code === 0x84);
}

/** Node's codes for a server certificate the bridge does not trust. */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * What a failed connection attempt means, in words an operator can act on: the log says it once
 * per outage, and bridge/info keeps it. Refusals by the broker (bad password, not authorised), a
 * server certificate we do not trust, our client certificate refused, nothing listening.
 */
export function explainConnectionError(error: Error): string {
  if (error instanceof ErrorWithReasonCode) {
    const code = error.code;
    // 3.1.1 return codes 4 and 5; MQTT 5 reason codes 0x86 and 0x87.
    if (code === 4 || code === 0x86)
      return `the broker refused the user name or password (check mqtt.username and mqtt.password_file): ${error.message}`;
    if (code === 5 || code === 0x87)
      return `the broker refused us: not authorised (check mqtt.username, mqtt.password_file or the client certificate): ${error.message}`;
    return `the broker refused the connection: ${error.message}`;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && UNTRUSTED_CERTIFICATE.has(code))
    return `the broker's TLS certificate is not trusted (check mqtt.ca_file and the host in mqtt.url): ${error.message}`;
  if (
    /alert (certificate required|bad certificate|unknown ca|certificate unknown|handshake failure)/i.test(
      error.message,
    )
  )
    return `the broker refused our TLS client certificate (check mqtt.cert_file and mqtt.key_file): ${error.message}`;
  if (code === 'ECONNREFUSED') return `nothing accepts connections at the broker's address: ${error.message}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `the broker's host name does not resolve: ${error.message}`;
  return error.message;
}

/** The URL as it may appear in a log: without a password. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable url)';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
