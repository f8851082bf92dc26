// Home Assistant through MQTT discovery, as part of the MQTT transport: one Home Assistant device
// per lock (via the bridge's own device), published when the bridge connects, when Home Assistant
// announces `online` on its status topic, and when a lock appears or changes its name; removed when
// the lock is. Each lock has a command topic: LOCK / UNLOCK go through the same API as any request
// (locks/lock_door, locks/unlock_door). What it shows comes from the records the transport
// publishes anyway (devices, access codes), from the event log, read live, and for the code
// counts and names from the store (CodeLookup): nothing is kept per code.
import { createHash, randomUUID } from 'node:crypto';
import type { IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import type { RequestHandler } from '../../../api/request-handler.ts';
import type { EventRecord, EventSource } from '../../../store/events.ts';
import type { RetainedRecord } from '../../../store/retained-outbox.ts';
import type { CodeLookup } from '../../transport.ts';
import type { MqttConnection, Subscription } from '../connection.ts';
import {
  type DiscoveryTopics,
  hubDiscovery,
  hubIdentifier,
  type KeypadEventType,
  lockDiscovery,
  lockIdentifier,
  lockTopics,
} from './discovery.ts';
import { type CodeRecord, type DeviceRecord, isRemoved, LockBoard } from './lock-board.ts';

export interface HomeAssistantOptions {
  discoveryPrefix: string;
  gatewayId: string;
  version: string;
}

const DOOR_ROUTES: Record<string, boolean> = { 'locks/lock_door': true, 'locks/unlock_door': false };
const COMMANDS: Record<string, string> = { LOCK: 'locks/lock_door', UNLOCK: 'locks/unlock_door' };
const EVENT_BATCH = 100;

export class HomeAssistant {
  private readonly board: LockBoard;
  /**
   * A digest of the discovery payload last published per lock, so a change of name is published
   * again. Digests, not payloads: a thousand locks' payloads held 6 MiB of heap.
   */
  private readonly published = new Map<string, string>();
  /** Each device record's discovery digest, made once: a lock's codes change far more often. */
  private readonly discoveryDigests = new WeakMap<DeviceRecord, string>();
  /** The state last published per lock: a code record that changed no count publishes nothing. */
  private readonly publishedState = new Map<string, string>();
  /** Locks removed while the broker was away: their entities are removed once it is back. */
  private readonly removals = new Set<string>();
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  private conn: MqttConnection | null = null;
  private api: RequestHandler | null = null;
  private codes: CodeLookup | null = null;
  private loaded = false;
  private stopped = false;
  private eventsSeen = 0;
  private readonly closers: Array<() => void> = [];
  private readonly topics: DiscoveryTopics;
  private readonly log: Logger;

  constructor(
    private readonly options: HomeAssistantOptions,
    rootTopic: string,
    log: Logger,
  ) {
    this.topics = { root: rootTopic, gatewayId: options.gatewayId, version: options.version };
    this.log = log.child({ component: 'homeassistant' });
    this.board = new LockBoard(
      (deviceId) => this.markDirty(deviceId),
      (deviceId) => this.codes?.countsOf(deviceId) ?? { set: 0, pending: 0, failed: 0 },
    );
  }

  /**
   * The API as this transport hands it out: a lock or unlock it accepted shows as LOCKING /
   * UNLOCKING until its action attempt ends, whoever asked (Home Assistant or a request).
   */
  observe(api: RequestHandler): RequestHandler {
    return async (route, payload, context) => {
      const body = await api(route, payload, context);
      const locking = DOOR_ROUTES[route];
      const attempt = body.action_attempt as { action_attempt_id?: string; status?: string } | undefined;
      if (
        locking !== undefined &&
        body.ok === true &&
        attempt?.status === 'pending' &&
        attempt.action_attempt_id
      ) {
        const deviceId = deviceIdOf(payload);
        if (deviceId) this.board.doorActionPending(attempt.action_attempt_id, deviceId, locking);
      }
      return body;
    };
  }

  /** A device or access code record on its way to the broker: what it says may change what HA shows. */
  retained(record: RetainedRecord): void {
    try {
      if (record.kind === 'device') {
        if (record.body === null) this.removeLock(record.id);
        else this.lockSeen(JSON.parse(record.body) as DeviceRecord);
      } else if (record.kind === 'access_code') {
        if (record.body !== null) {
          this.board.codesChanged((JSON.parse(record.body) as CodeRecord).device_id);
        } else {
          // Deleted: the store knows its lock until the code has left it.
          const code = this.codes?.find(record.id);
          if (code) this.board.codesChanged(code.device_id);
          else this.board.someCodesChanged();
        }
      }
    } catch (error) {
      this.log.error(
        { err: error, kind: record.kind, id: record.id },
        'could not read a record for Home Assistant',
      );
    }
  }

  /**
   * What the connection keeps subscribed for Home Assistant, before it says online. QoS 0 on
   * purpose: a LOCK or UNLOCK sent while the bridge is down is not kept in its session and carried
   * out late, when nobody expects the door to move. Retain As Published: a command published
   * retained shows as such even when it arrives live, and is refused.
   */
  subscriptions(rootTopic: string): Subscription[] {
    return [
      { filter: `${this.options.discoveryPrefix}/status`, qos: 0, rap: true },
      { filter: `${rootTopic}/ha/+/set`, qos: 0, rap: true },
    ];
  }

  async start(
    conn: MqttConnection,
    api: RequestHandler,
    events: EventSource,
    codes: CodeLookup,
  ): Promise<void> {
    this.conn = conn;
    this.api = api;
    this.codes = codes;
    const statusTopic = `${this.options.discoveryPrefix}/status`;
    const commandPrefix = conn.topic('ha/');
    const inbound = conn.inbound.route(
      (topic) => topic === statusTopic || (topic.startsWith(commandPrefix) && topic.endsWith('/set')),
    );
    inbound.setReceiver((packet, handled) => {
      this.receive(packet, statusTopic).finally(handled);
    });
    this.closers.push(() => inbound.setReceiver(null));

    this.eventsSeen = events.head();
    const readEvents = () => this.readEvents(events);
    this.closers.push(events.onAppend(readEvents));

    const onConnected = () => this.publishAll();
    conn.on('connected', onConnected);
    this.closers.push(() => conn.off('connected', onConnected));

    // In the background: the bridge is ready without it (a thousand locks' discovery takes a while).
    setImmediate(() => {
      this.loadSnapshot().then(
        () => this.publishAll(),
        (error: unknown) => this.log.error({ err: error }, 'could not read the locks for Home Assistant'),
      );
    });
  }

  stop(): void {
    this.stopped = true;
    for (const close of this.closers.splice(0)) close();
  }

  /**
   * Every lock, through the API: once at start and whenever Home Assistant comes online. Their
   * code counts are asked of the store as each lock's state is published.
   */
  private async loadSnapshot(): Promise<void> {
    if (this.stopped) return;
    const listed = await this.api!('devices/list', Buffer.from('{}'), { generatedRequestId: randomUUID() });
    for (const device of (listed.devices ?? []) as DeviceRecord[]) {
      // A lock removed while the broker was away, before a restart, may still have its entities.
      this.lockSeen(device, true);
    }
    this.loaded = true;
  }

  private lockSeen(device: DeviceRecord, evenIfUnknown = false): void {
    if (isRemoved(device)) this.removeLock(device.device_id, evenIfUnknown);
    else this.board.deviceSeen(device);
  }

  private async receive(packet: IPublishPacket, statusTopic: string): Promise<void> {
    const topic = String(packet.topic);
    const text = packet.payload.toString();
    if (topic === statusTopic) {
      if (text !== 'online') return;
      this.log.info('Home Assistant is online; publishing discovery again');
      await this.loadSnapshot();
      this.publishAll();
      return;
    }
    const deviceId = topic.slice(this.conn!.topic('ha/').length, -'/set'.length);
    if (packet.retain) {
      // A retained command would move the door again at every restart.
      this.log.warn({ device_id: deviceId, topic }, 'ignored a retained Home Assistant lock command');
      return;
    }
    const route = COMMANDS[text];
    if (!route || !this.board.device(deviceId)) {
      this.log.warn(
        { device_id: deviceId, payload_bytes: packet.payload.length },
        'ignored an unknown Home Assistant lock command',
      );
      return;
    }
    const body = await this.api!(route, Buffer.from(JSON.stringify({ device_id: deviceId })), {
      generatedRequestId: randomUUID(),
    });
    const attempt = body.action_attempt as { status?: string; error?: { type?: string } } | undefined;
    if (body.ok !== true || attempt?.status === 'error') {
      const reason = attempt?.error?.type ?? (body.error as { type?: string } | undefined)?.type ?? 'unknown';
      this.log.warn({ device_id: deviceId, command: text, reason }, 'Home Assistant lock command failed');
    }
  }

  private readEvents(events: EventSource): void {
    for (;;) {
      const batch = events.after(this.eventsSeen, EVENT_BATCH);
      for (const record of batch) {
        this.eventsSeen = record.seq;
        this.onEvent(record);
      }
      if (batch.length < EVENT_BATCH) return;
    }
  }

  private onEvent(record: EventRecord): void {
    const type = record.event_type;
    if (!type.startsWith('action_attempt.') && type !== 'lock.unlocked' && type !== 'lock.access_denied')
      return;
    const event = JSON.parse(record.body) as Record<string, unknown>;
    const deviceId = String(event.device_id ?? '');
    if (type.startsWith('action_attempt.')) {
      if (typeof event.action_attempt_id === 'string') this.board.attemptEnded(event.action_attempt_id);
    } else if (type === 'lock.unlocked') {
      if (event.method === 'keycode') this.keypad(deviceId, 'code_used', event);
    } else {
      this.keypad(deviceId, event.reason === 'wrong_code' ? 'wrong_code' : 'code_refused', event);
    }
  }

  /** Keypad use, live only: not retained, and not kept while the broker is away. */
  private keypad(deviceId: string, type: KeypadEventType, event: Record<string, unknown>): void {
    const conn = this.conn;
    if (!conn?.connected || !this.board.device(deviceId)) return;
    const payload: Record<string, unknown> = { event_type: type };
    if (typeof event.access_code_id === 'string') {
      payload.access_code_id = event.access_code_id;
      payload.access_code_is_managed = event.access_code_is_managed ?? null;
      payload.access_code_name = this.codes?.find(event.access_code_id)?.name ?? null;
    }
    if (event.reason !== undefined) payload.reason = event.reason;
    if (event.attempts !== undefined) payload.attempts = event.attempts;
    conn.client.publish(conn.topic(lockTopics(deviceId).event), JSON.stringify(payload), {
      qos: 1,
      retain: false,
    });
  }

  private markDirty(deviceId: string): void {
    this.dirty.add(deviceId);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const ids = [...this.dirty];
      this.dirty.clear();
      for (const id of ids) this.publishLock(id, false);
    });
  }

  private publishAll(): void {
    const conn = this.conn;
    if (this.stopped || !this.loaded || !conn?.connected) return;
    this.publishRetained(
      this.discoveryTopic(hubIdentifier(this.options.gatewayId)),
      hubDiscovery(this.topics),
    );
    for (const deviceId of this.board.deviceIds()) this.publishLock(deviceId, true);
    for (const deviceId of [...this.removals]) this.removeLock(deviceId);
  }

  /** The lock's discovery payload (when new, changed, or `always`) and its state. */
  private publishLock(deviceId: string, always: boolean): void {
    const conn = this.conn;
    if (this.stopped || !this.loaded || !conn?.connected) return;
    const device = this.board.device(deviceId);
    const state = this.board.state(deviceId);
    if (!device || !state) return;
    let digest = this.discoveryDigests.get(device);
    let config: string | undefined;
    if (digest === undefined) {
      config = JSON.stringify(lockDiscovery(device, this.topics));
      digest = createHash('sha256').update(config).digest('base64');
      this.discoveryDigests.set(device, digest);
    }
    if (always || this.published.get(deviceId) !== digest) {
      config ??= JSON.stringify(lockDiscovery(device, this.topics));
      this.publishRetained(this.discoveryTopic(lockIdentifier(deviceId)), config);
      this.published.set(deviceId, digest);
    }
    const text = JSON.stringify(state);
    if (always || this.publishedState.get(deviceId) !== text) {
      this.publishRetained(conn.topic(lockTopics(deviceId).state), text);
      this.publishedState.set(deviceId, text);
    }
  }

  /** The lock is gone: its entities leave Home Assistant (an empty retained config removes them). */
  private removeLock(deviceId: string, evenIfUnknown = false): void {
    const known =
      this.board.device(deviceId) !== undefined ||
      this.published.has(deviceId) ||
      this.removals.has(deviceId);
    this.board.deviceGone(deviceId);
    this.published.delete(deviceId);
    this.publishedState.delete(deviceId);
    const conn = this.conn;
    if (!known && !evenIfUnknown) return;
    if (!conn?.connected) {
      this.removals.add(deviceId);
      return;
    }
    this.removals.delete(deviceId);
    this.publishRetained(this.discoveryTopic(lockIdentifier(deviceId)), '');
    this.publishRetained(conn.topic(lockTopics(deviceId).state), '');
    if (known) this.log.info({ device_id: deviceId }, 'lock removed from Home Assistant');
  }

  private discoveryTopic(objectId: string): string {
    return `${this.options.discoveryPrefix}/device/${objectId}/config`;
  }

  private publishRetained(topic: string, payload: string | object): void {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    this.conn!.client.publish(topic, text, { qos: 1, retain: true }, (error) => {
      if (error) this.log.warn({ topic, err: error.message }, 'broker did not take a Home Assistant message');
    });
  }
}

function deviceIdOf(payload: Buffer): string | null {
  try {
    const parsed = JSON.parse(payload.toString()) as { device_id?: unknown };
    return typeof parsed.device_id === 'string' ? parsed.device_id : null;
  } catch {
    return null;
  }
}
