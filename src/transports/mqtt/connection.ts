// The bridge's one MQTT connection: MQTT 5 with a persistent session (3.1.1 when the broker
// refuses 5), the bridge/state last will, and reconnecting forever with backoff.
import { EventEmitter } from 'node:events';
import {
  connect,
  ErrorWithReasonCode,
  type IClientOptions,
  type IConnackPacket,
  type MqttClient,
} from 'mqtt';
import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelay } from '../../core/backoff.ts';

const DEFAULT_BACKOFF: BackoffPolicy = { base_ms: 1000, max_ms: 30_000 };

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
export class MqttConnection extends EventEmitter<{ connected: []; disconnected: [] }> {
  readonly client: MqttClient;
  readonly rootTopic: string;
  /** Deferred PUBACKs for incoming messages; the request listener attaches to it. */
  readonly inbound: InboundAcks;
  readonly firstAttempt: Promise<void>;
  private online = false;
  private closing = false;
  private switchingProtocol = false;
  private attempt = 0;
  private lastError = '';
  private outage: { since: number; attempts: number } | null = null;
  /** When `online` last changed (epoch ms); null before the first attempt settled. */
  private changedAt: number | null = null;
  private settleFirstAttempt: () => void = () => {};
  private readonly backoff: BackoffPolicy;
  private readonly log: Logger;

  constructor(opts: MqttOptions, log: Logger) {
    super();
    this.rootTopic = opts.rootTopic;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.log = log.child({ broker: redactUrl(opts.url), client_id: opts.clientId });
    this.firstAttempt = new Promise((resolve) => {
      this.settleFirstAttempt = resolve;
    });
    this.client = connect(opts.url, this.clientOptions(opts));
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

  /**
   * Runs `subscribe` now if connected, and again after every reconnect. mqtt.js drops a SUBSCRIBE
   * made while disconnected ("Connection closed") and, when the very first attempt failed, never
   * resubscribes on its own; the broker may also have lost our session. Subscribing again is
   * harmless. Returns a function that stops it.
   */
  onEveryConnect(subscribe: () => void): () => void {
    if (this.online) subscribe();
    this.on('connected', subscribe);
    return () => this.off('connected', subscribe);
  }

  topic(relative: string): string {
    return `${this.rootTopic}/${relative}`;
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
      username: opts.username,
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
      // mqtt-packet would otherwise keep a ready-made Buffer for each of the 65,536 packet ids
      // and lengths: 6.5 MiB of heap to save a 2-byte allocation per packet.
      writeCache: false,
    };
  }

  private onConnect(connack: IConnackPacket): void {
    this.attempt = 0;
    this.client.options.reconnectPeriod = backoffDelay(1, this.backoff);
    if (!connack.sessionPresent) this.inbound.sessionLost();
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
    this.client.publish(this.topic(STATE_TOPIC), ONLINE, { qos: 1, retain: true });
    this.inbound.flush();
    this.settleFirstAttempt();
    this.emit('connected');
  }

  private onClose(): void {
    const wasOnline = this.online;
    this.online = false;
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
