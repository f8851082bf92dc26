// Test kit for the MQTT transport: a watching client on the broker, a logger that keeps its lines.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { connectAsync, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { type Logger, pino } from 'pino';

export interface Seen {
  topic: string;
  payload: Buffer;
  text: string;
  packet: IPublishPacket;
}

/** A plain MQTT 5 client that records what it receives, standing in for the cloud side. */
export class Watcher {
  readonly seen: Seen[] = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.seen.push({ topic, payload, text: payload.toString(), packet });
    });
  }

  /** aedes speaks 3.1.1 only: pass protocolVersion 4 there. */
  static async start(url: string, topics: string[], protocolVersion: 4 | 5 = 5): Promise<Watcher> {
    const client = await connectAsync(url, {
      protocolVersion,
      reconnectPeriod: 100,
      clientId: `watcher-${randomUUID()}`,
    });
    const watcher = new Watcher(client);
    if (topics.length > 0) await client.subscribeAsync(topics, { qos: 1 });
    return watcher;
  }

  /** With a persistent session (clean false, an hour's expiry): misses nothing while away. */
  static async startPersistent(url: string, clientId: string, topics: string[]): Promise<Watcher> {
    const client = await connectAsync(url, {
      protocolVersion: 5,
      clean: false,
      clientId,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 100,
    });
    const watcher = new Watcher(client);
    if (topics.length > 0) await client.subscribeAsync(topics, { qos: 1 });
    return watcher;
  }

  /** Waits for a message on `topic` that satisfies `predicate` and returns it. */
  async next(topic: string, predicate: (seen: Seen) => boolean = () => true): Promise<Seen> {
    let found: Seen | undefined;
    await waitFor(() => {
      found = this.seen.find((s) => s.topic === topic && predicate(s));
      return found !== undefined;
    }, `a message on ${topic}`);
    return found!;
  }

  on(topic: string): Seen[] {
    return this.seen.filter((s) => s.topic === topic);
  }

  async publish(
    topic: string,
    payload: string | Buffer,
    opts: IClientPublishOptions = { qos: 1 },
  ): Promise<void> {
    await this.client.publishAsync(topic, payload, opts);
  }

  async stop(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Subscribes afresh and returns the retained message of `topic` (null when there is none). */
export async function retained(url: string, topic: string, protocolVersion: 4 | 5 = 5): Promise<Seen | null> {
  const watcher = await Watcher.start(url, [], protocolVersion);
  try {
    await watcher.client.subscribeAsync(topic, { qos: 1 });
    // The broker sends retained messages right after SUBACK; a round trip through the broker on a
    // marker topic tells us it is done sending them.
    const marker = `lockbridge-test/marker/${randomUUID()}`;
    await watcher.client.subscribeAsync(marker, { qos: 1 });
    await watcher.publish(marker, 'x');
    await watcher.next(marker);
    return watcher.seen.find((s) => s.topic === topic && s.packet.retain) ?? null;
  } finally {
    await watcher.stop();
  }
}

/** Polls until the condition holds; the timeout only turns a hang into a readable failure. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function uniqueRoot(): string {
  return `lockbridge/gw-${randomUUID().slice(0, 8)}`;
}

export interface MemoryLog {
  log: Logger;
  lines(): Array<Record<string, unknown>>;
  text(): string;
}

/** A real pino logger at debug level whose JSON lines stay in memory for assertions. */
export function memoryLogger(): MemoryLog {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, lines, text };
}
