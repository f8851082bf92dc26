// The transports the configuration asks for.
import { MAX_PAYLOAD_BYTES } from '../api/router.ts';
import { readMqttPassword, readMqttTls } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { MqttTransport } from '../transports/mqtt/mqtt-transport.ts';
import type { Transport } from '../transports/transport.ts';

export function transportsFromConfig(config: Config, version: string): Transport[] {
  const { mqtt } = config;
  return [
    new MqttTransport({
      url: mqtt.url,
      embeddedPort: mqtt.embedded_port,
      clientId: mqtt.client_id ?? `lockbridge-${config.gateway_id}`,
      username: mqtt.username,
      password: readMqttPassword(config),
      ...readMqttTls(config),
      rootTopic: `${mqtt.base_topic}/${config.gateway_id}`,
      includeCodes: mqtt.include_codes,
      maxPayloadBytes: MAX_PAYLOAD_BYTES,
      ...(config.homeassistant.enabled
        ? {
            homeAssistant: {
              discoveryPrefix: config.homeassistant.discovery_prefix,
              gatewayId: config.gateway_id,
              version,
            },
          }
        : {}),
    }),
  ];
}
