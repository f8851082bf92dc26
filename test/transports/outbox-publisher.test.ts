import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { connectMqtt, type MqttConnection } from '../../src/transports/mqtt/connection.ts';
import { type OutboxPublisher, startOutboxPublisher } from '../../src/transports/mqtt/outbox-publisher.ts';
import type { Outbox, OutboxMessage } from '../../src/transports/mqtt/ports.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { memoryLogger, retained, uniqueRoot, Watcher, waitFor } from './support.ts';

/** The store's outboxes live in SQLite; this one keeps the same contract in memory. */
class MemoryOutbox implements Outbox {
  private readonly messages: OutboxMessage[] = [];
  private readonly listeners = new Set<() => void>();
  private nextId = 1;
  readonly acknowledged: number[] = [];

  append(topic: string, payload: string, retain = false): OutboxMessage {
    const message = { id: this.nextId++, topic, payload, retain };
    this.messages.push(message);
    for (const listener of this.listeners) listener();
    return message;
  }
  peek(afterId: number, limit: number): OutboxMessage[] {
    return this.messages.filter((m) => m.id > afterId).slice(0, limit);
  }
  acknowledge(message: OutboxMessage): void {
    this.acknowledged.push(message.id);
    const index = this.messages.findIndex((m) => m.id === message.id);
    if (index >= 0) this.messages.splice(index, 1);
  }
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  get pending(): number {
    return this.messages.length;
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(brokerOptions: { persistence?: boolean } = {}) {
  const broker = await startMosquitto(brokerOptions);
  cleanups.push(() => broker.stop());
  const rootTopic = uniqueRoot();
  const conn = await connectMqtt(
    {
      url: broker.url,
      clientId: `bridge-${randomUUID()}`,
      rootTopic,
      backoff: { base_ms: 50, max_ms: 200 },
    },
    memoryLogger().log,
  );
  cleanups.push(() => conn.close());
  return { broker, conn, rootTopic };
}

function publish(conn: MqttConnection, outbox: Outbox, window?: number): OutboxPublisher {
  const publisher = startOutboxPublisher(conn, outbox, memoryLogger().log, window ? { window } : {});
  cleanups.push(() => publisher.stop());
  return publisher;
}

/** A subscriber with a persistent session, so it misses nothing across a broker restart. */
async function persistentWatcher(broker: Broker, topic: string): Promise<Watcher> {
  const clientId = `watcher-${randomUUID()}`;
  const watcher = await Watcher.startPersistent(broker.url, clientId, [topic]);
  cleanups.push(() => watcher.stop());
  return watcher;
}

/** The sequence numbers in the order they first arrived (QoS 1 may repeat one). */
function firstArrivals(watcher: Watcher, topicPrefix: string): number[] {
  const seen = new Set<number>();
  for (const s of watcher.seen) {
    if (!s.topic.startsWith(topicPrefix)) continue;
    const n = (JSON.parse(s.text) as { n: number }).n;
    if (!seen.has(n)) seen.add(n);
  }
  return [...seen];
}

describe('outbox publisher', () => {
  it('publishes oldest first at QoS 1 under the root topic, and empties the outbox', async () => {
    const { broker, conn, rootTopic } = await setUp();
    const watcher = await persistentWatcher(broker, `${rootTopic}/events/#`);
    const outbox = new MemoryOutbox();
    for (let n = 1; n <= 100; n++) outbox.append('events/access_code.created', JSON.stringify({ n }));

    publish(conn, outbox, 8);

    await waitFor(() => outbox.pending === 0, 'the outbox to empty');
    await waitFor(() => firstArrivals(watcher, rootTopic).length === 100, 'all 100 messages');
    expect(firstArrivals(watcher, rootTopic)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(watcher.seen.every((s) => s.topic === `${rootTopic}/events/access_code.created`)).toBe(true);
    expect(watcher.seen.every((s) => s.packet.qos === 1 && !s.packet.retain)).toBe(true);
    expect(outbox.acknowledged).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('acknowledges nothing until the broker answers, and keeps at most `window` in flight', async () => {
    const { broker, conn } = await setUp();
    const outbox = new MemoryOutbox();
    publish(conn, outbox, 8);
    await waitFor(
      () => Object.keys(conn.client.outgoing).length === 0,
      'the online state to be acknowledged',
    );

    broker.pause(); // the TCP connection stays up; the broker just doesn't answer
    for (let n = 1; n <= 30; n++) outbox.append('events/x', JSON.stringify({ n }));

    // Appending drains once a turn: after it, the window is as full as it will get.
    await new Promise((resolve) => setImmediate(resolve));
    expect(Object.keys(conn.client.outgoing)).toHaveLength(8);
    expect(outbox.acknowledged).toEqual([]);

    broker.resume();
    await waitFor(() => outbox.pending === 0, 'the outbox to empty');
    expect(outbox.acknowledged).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('delivers what was appended while the broker was down, oldest first, after it is back', async () => {
    const { broker, conn, rootTopic } = await setUp({ persistence: true });
    const watcher = await persistentWatcher(broker, `${rootTopic}/#`);
    const events = new MemoryOutbox();
    const state = new MemoryOutbox();
    publish(conn, events);
    publish(conn, state);
    for (let n = 1; n <= 20; n++) events.append('events/e', JSON.stringify({ n }));
    await waitFor(() => events.pending === 0, 'the first messages to go out');

    const disconnected = new Promise<void>((resolve) => conn.once('disconnected', resolve));
    await broker.restart(async () => {
      await disconnected;
      for (let n = 21; n <= 35; n++) {
        events.append('events/e', JSON.stringify({ n }));
        state.append(`devices/d${n}`, JSON.stringify({ n }), true);
      }
      expect(events.acknowledged).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(state.acknowledged).toEqual([]);
    });

    await waitFor(() => events.pending === 0 && state.pending === 0, 'both outboxes to empty');
    await waitFor(() => firstArrivals(watcher, `${rootTopic}/events/`).length === 35, 'all events');
    await waitFor(() => firstArrivals(watcher, `${rootTopic}/devices/`).length === 15, 'all states');
    expect(firstArrivals(watcher, `${rootTopic}/events/`)).toEqual(
      Array.from({ length: 35 }, (_, i) => i + 1),
    );
    expect(firstArrivals(watcher, `${rootTopic}/devices/`)).toEqual(
      Array.from({ length: 15 }, (_, i) => i + 21),
    );
    expect(state.acknowledged).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });

  it('honours the retained flag, and an empty retained payload clears the topic', async () => {
    const { broker, conn, rootTopic } = await setUp();
    const outbox = new MemoryOutbox();
    publish(conn, outbox);

    outbox.append('devices/d1', '{"device_id":"d1"}', true);
    outbox.append('events/device.connected', '{"event_type":"device.connected"}', false);
    await waitFor(() => outbox.pending === 0, 'both to be acknowledged');
    expect((await retained(broker.url, `${rootTopic}/devices/d1`))?.text).toBe('{"device_id":"d1"}');
    expect(await retained(broker.url, `${rootTopic}/events/device.connected`)).toBeNull();

    outbox.append('devices/d1', '', true);
    await waitFor(() => outbox.pending === 0, 'the clearing message to be acknowledged');
    expect(await retained(broker.url, `${rootTopic}/devices/d1`)).toBeNull();
  });
});
