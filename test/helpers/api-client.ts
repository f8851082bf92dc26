// A test's view of the bridge over MQTT: requests with request_id, responses, events, retained state.
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';

/**
 * A response body as tests read it: field by field, against the spec's shapes. Typed loosely on
 * purpose, since the tests themselves are what checks the shapes.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type ApiBody = Record<string, any>;

export interface ReceivedEvent extends Record<string, unknown> {
  event_id: string;
  event_type: string;
}

export class ApiClient {
  readonly events: ReceivedEvent[] = [];
  readonly retained = new Map<string, string>();
  private readonly waiting = new Map<string, (body: Record<string, unknown>) => void>();
  private readonly eventWaiters = new Set<() => void>();

  private constructor(
    readonly client: MqttClient,
    readonly root: string,
  ) {}

  static async connect(url: string, root: string, protocolVersion: 4 | 5 = 5): Promise<ApiClient> {
    const client = await mqtt.connectAsync(url, {
      protocolVersion,
      clientId: `test-${randomUUID().slice(0, 8)}`,
      reconnectPeriod: 200,
      clean: false,
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 300 } } : {}),
    });
    const api = new ApiClient(client, root);
    client.on('message', (topic, payload) => api.receive(topic, payload));
    await client.subscribeAsync(
      [
        `${root}/response/#`,
        `${root}/events/#`,
        `${root}/access_codes/#`,
        `${root}/devices/#`,
        `${root}/bridge/#`,
      ],
      { qos: 1 },
    );
    return api;
  }

  private receive(topic: string, payload: Buffer): void {
    const rel = topic.slice(this.root.length + 1);
    if (rel.startsWith('response/')) {
      const body = JSON.parse(payload.toString()) as Record<string, unknown>;
      const id = body.request_id as string;
      this.waiting.get(id)?.(body);
      this.waiting.delete(id);
    } else if (rel.startsWith('events/')) {
      this.events.push(JSON.parse(payload.toString()) as ReceivedEvent);
      for (const wake of this.eventWaiters) wake();
    } else {
      this.retained.set(rel, payload.toString());
    }
  }

  /** Sends a request and resolves with the response body (ok or error). */
  async request(route: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<ApiBody> {
    const request_id = (params.request_id as string | undefined) ?? randomUUID();
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no response to ${route} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.set(request_id, (body) => {
        clearTimeout(timer);
        resolve(body);
      });
    });
    await this.client.publishAsync(
      `${this.root}/request/${route}`,
      JSON.stringify({ ...params, request_id }),
      { qos: 1 },
    );
    return answer;
  }

  /** Publishes a raw payload to a request topic and waits for the next response on that route. */
  async rawRequest(route: string, payload: string | Buffer, timeoutMs = 10_000): Promise<ApiBody> {
    const topic = `${this.root}/response/${route}`;
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response on ${topic}`)), timeoutMs);
      const onMessage = (t: string, p: Buffer) => {
        if (t !== topic) return;
        clearTimeout(timer);
        this.client.off('message', onMessage);
        resolve(JSON.parse(p.toString()));
      };
      this.client.on('message', onMessage);
    });
    await this.client.publishAsync(`${this.root}/request/${route}`, payload, { qos: 1 });
    return answer;
  }

  /** Resolves with the first event (already received or to come) that matches. */
  async waitForEvent(match: (e: ReceivedEvent) => boolean, timeoutMs = 10_000): Promise<ReceivedEvent> {
    const found = this.events.find(match);
    if (found) return found;
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.events.find(match);
        if (!hit) return;
        clearTimeout(timer);
        this.eventWaiters.delete(check);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        this.eventWaiters.delete(check);
        reject(
          new Error(
            `event not received within ${timeoutMs} ms; got: ${this.events.map((e) => e.event_type).join(', ')}`,
          ),
        );
      }, timeoutMs);
      this.eventWaiters.add(check);
    });
  }

  eventsOf(type: string, accessCodeId?: string): ReceivedEvent[] {
    return this.events.filter(
      (e) => e.event_type === type && (accessCodeId === undefined || e.access_code_id === accessCodeId),
    );
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Polls until check() returns a truthy value (for state that has no event). */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
  pollMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
