// The MQTT side of the bridge: the broker (or the embedded one), the outboxes drained to it, and
// the request listener feeding the API.

import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { MAX_PAYLOAD_BYTES } from '../api/router.ts';
import { readMqttPassword } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { Store } from '../store/store.ts';
import { connectMqtt } from '../transports/mqtt/connection.ts';
import { startEmbeddedBroker } from '../transports/mqtt/embedded-broker.ts';
import { startOutboxPublisher } from '../transports/mqtt/outbox-publisher.ts';
import type { RequestHandler } from '../transports/mqtt/ports.ts';
import { startRequestListener } from '../transports/mqtt/request-listener.ts';

export interface MqttLink {
  close(): Promise<void>;
}

export async function startMqttLink(
  config: Config,
  log: Logger,
  store: Store,
  api: RequestHandler,
): Promise<MqttLink> {
  const mqttLog = log.child({ component: 'mqtt' });
  let url = config.mqtt.url;
  let broker: Awaited<ReturnType<typeof startEmbeddedBroker>> | null = null;
  if (url === 'embedded') {
    broker = await startEmbeddedBroker({ port: config.mqtt.embedded_port }, mqttLog);
    url = broker.url;
  }
  const read = (file: string | undefined) => (file ? readFileSync(file) : undefined);
  const connection = await connectMqtt(
    {
      url,
      clientId: config.mqtt.client_id ?? `lockbridge-${config.gateway_id}`,
      username: config.mqtt.username,
      password: readMqttPassword(config),
      ca: read(config.mqtt.ca_file),
      cert: read(config.mqtt.cert_file),
      key: read(config.mqtt.key_file),
      rootTopic: `${config.mqtt.base_topic}/${config.gateway_id}`,
    },
    mqttLog,
  );
  const publishers = [
    startOutboxPublisher(connection, store.state, mqttLog),
    startOutboxPublisher(connection, store.events, mqttLog),
  ];
  const listener = startRequestListener(connection, api, mqttLog, { maxPayloadBytes: MAX_PAYLOAD_BYTES });
  return {
    async close() {
      await listener.stop();
      for (const publisher of publishers) publisher.stop();
      await connection.close();
      if (broker) await broker.close();
    },
  };
}
