// The transports the configuration asks for.
import { readFileSync } from 'node:fs';
import { MAX_PAYLOAD_BYTES } from '../api/payload.ts';
import { readMqttPassword } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { MqttTransport } from '../transports/mqtt/mqtt-transport.ts';
import type { Transport } from '../transports/transport.ts';

export function transportsFromConfig(config: Config): Transport[] {
  const { mqtt } = config;
  const read = (file: string | undefined) => (file ? readFileSync(file) : undefined);
  return [
    new MqttTransport({
      url: mqtt.url,
      embeddedPort: mqtt.embedded_port,
      clientId: mqtt.client_id ?? `lockbridge-${config.gateway_id}`,
      username: mqtt.username,
      password: readMqttPassword(config),
      ca: read(mqtt.ca_file),
      cert: read(mqtt.cert_file),
      key: read(mqtt.key_file),
      rootTopic: `${mqtt.base_topic}/${config.gateway_id}`,
      includeCodes: mqtt.include_codes,
      responseTopicPrefixes: mqtt.response_topic_prefixes,
      maxPayloadBytes: MAX_PAYLOAD_BYTES,
    }),
  ];
}
