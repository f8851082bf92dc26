// An in-process MQTT broker (aedes, MQTT 3.1.1 only) for the demo and development: mqtt.url "embedded".
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on `host` (default 127.0.0.1: not a broker for the whole network); port 0 picks a free one. */
export async function startEmbeddedBroker(
  opts: { port: number; host?: string },
  log: Logger,
): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  server.listen(opts.port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw error;
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('embedded broker has no TCP address');
  const url = `mqtt://${host}:${address.port}`;
  log.info({ url }, 'embedded MQTT broker listening (MQTT 3.1.1, for demo and development)');
  return {
    url,
    port: address.port,
    async close() {
      // aedes.close ends the client connections; only then can the server finish closing.
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
