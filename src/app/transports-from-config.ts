// The transports the configuration asks for: MQTT always, HTTP with an `http:` section, webhooks
// with a `webhooks:` list. The HTTP and webhook modules are loaded only when configured: a hub
// without them never loads Hono or the web console.
import { readFileSync } from 'node:fs';
import { MAX_PAYLOAD_BYTES } from '../api/payload.ts';
import type { ApiKeyVerifier } from '../auth/api-keys.ts';
import { parseListen } from '../config/listen.ts';
import { readMqttPassword, readMqttTls, readWebhookSecret } from '../config/load.ts';
import type { Config, HttpConfig, WebhookConfig } from '../config/schema.ts';
import type { HttpTransport } from '../transports/http/http-transport.ts';
import { MqttTransport } from '../transports/mqtt/mqtt-transport.ts';
import type { Transport } from '../transports/transport.ts';
import type { WebhookEndpoint } from '../transports/webhooks/endpoint-delivery.ts';
import type { WebhooksTransport } from '../transports/webhooks/webhooks-transport.ts';

/** What transports need from the bridge besides the configuration. */
export interface TransportDeps {
  apiKeys: ApiKeyVerifier;
  /** lockbridge's version (Home Assistant shows it on the bridge's device). */
  version: string;
}

export async function transportsFromConfig(config: Config, deps: TransportDeps): Promise<Transport[]> {
  return [
    mqttTransport(config, deps.version),
    ...(config.http ? [await httpTransport(config.http, deps)] : []),
    ...(config.webhooks && config.webhooks.length > 0 ? [await webhooksTransport(config.webhooks)] : []),
  ];
}

function mqttTransport(config: Config, version: string): MqttTransport {
  const { mqtt } = config;
  return new MqttTransport({
    url: mqtt.url,
    embeddedPort: mqtt.embedded_port,
    clientId: mqtt.client_id ?? `lockbridge-${config.gateway_id}`,
    username: mqtt.username,
    password: readMqttPassword(config),
    ...readMqttTls(config),
    rootTopic: `${mqtt.base_topic}/${config.gateway_id}`,
    includeCodes: mqtt.include_codes,
    responseTopicPrefixes: mqtt.response_topic_prefixes,
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
  });
}

export async function httpTransport(http: HttpConfig, deps: TransportDeps): Promise<HttpTransport> {
  const { HttpTransport } = await import('../transports/http/http-transport.ts');
  const address = parseListen(http.listen)!; // the schema checked it
  return new HttpTransport({
    host: address.host,
    port: address.port,
    ...(http.tls
      ? { tls: { cert: readFileSync(http.tls.cert_file), key: readFileSync(http.tls.key_file) } }
      : {}),
    keys: http.auth ? deps.apiKeys : null,
    console: http.console,
    maxBodyBytes: Math.min(http.max_body_bytes, MAX_PAYLOAD_BYTES),
    rateLimitPerMinute: http.rate_limit_per_minute,
    rateLimitBurst: http.rate_limit_burst,
    requestTimeoutMs: http.request_timeout_s * 1000,
    maxStreams: http.max_streams,
    streamKeepAliveMs: http.stream_keepalive_s * 1000,
  });
}

async function webhooksTransport(webhooks: readonly WebhookConfig[]): Promise<WebhooksTransport> {
  const { WebhooksTransport } = await import('../transports/webhooks/webhooks-transport.ts');
  const endpoints = webhooks.map(
    (w, index): WebhookEndpoint => ({
      id: w.id,
      url: w.url,
      secret: readWebhookSecret(w.secret_file, `webhooks.${index}.secret_file`),
      eventTypes: w.event_types ? new Set(w.event_types) : null,
      timeoutMs: w.timeout_s * 1000,
      backoff: { base_ms: w.retry_base_ms, max_ms: w.retry_max_ms },
    }),
  );
  return new WebhooksTransport(endpoints);
}
