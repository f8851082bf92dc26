// Which MQTT 5 Response Topics the bridge answers on. It publishes an answer with its own
// credentials, so a requester must not be able to point it at a topic the requester could not
// publish to itself: the bridge's state, events and retained codes, another gateway's topics, a
// request topic (the bridge would answer its own answer), or another application's topics.
// Answers go only below `<root>/clients/` or below a configured prefix, and never retained.

export interface ResponseTopicRules {
  /** `<base_topic>/<gateway_id>`: answers may go below `<root>/clients/`. */
  rootTopic: string;
  /**
   * Prefixes the bridge publishes below: never an answer's topic, except `<root>/clients/`.
   * Default: `<base_topic>/` (every gateway's topics).
   */
  ownPrefixes?: readonly string[];
  /** `mqtt.response_topic_prefixes`: where else answers may go. */
  allowedPrefixes: readonly string[];
}

/** Why a Response Topic is refused, or null when the answer may go there. */
export type ResponseTopicCheck = (topic: string) => string | null;

/** MQTT limits a topic name to 65,535 bytes of UTF-8. */
const MAX_TOPIC_BYTES = 65_535;

export function responseTopicCheck(rules: ResponseTopicRules): ResponseTopicCheck {
  const clients = clientsPrefix(rules.rootTopic);
  const ownPrefixes = rules.ownPrefixes ?? [`${baseTopicOf(rules.rootTopic)}/`];
  return (topic) => {
    if (topic === '' || /[+#\0]/.test(topic) || Buffer.byteLength(topic) > MAX_TOPIC_BYTES) {
      // Publishing to a wildcard would get the bridge disconnected, and the request redelivered, forever.
      return 'it is not a topic name (empty, a wildcard or a NUL)';
    }
    if (topic.startsWith(clients)) return null;
    if (topic.startsWith('$')) return 'topics starting with "$" are the broker’s';
    if (ownPrefixes.some((prefix) => topic.startsWith(prefix) || `${topic}/` === prefix)) {
      return `the bridge publishes its own state, events and retained codes there; answers go below ${clients}`;
    }
    if (rules.allowedPrefixes.some((prefix) => topic.startsWith(prefix))) return null;
    const allowed = [clients, ...rules.allowedPrefixes].join(', ');
    return `answers go only below ${allowed} (mqtt.response_topic_prefixes)`;
  };
}

/** Below this, each client may have its own answers: `<root>/clients/<client>/...`. */
export const clientsPrefix = (rootTopic: string): string => `${rootTopic}/clients/`;

/** `<base_topic>` of `<base_topic>/<gateway_id>` (a gateway_id has no "/"). */
export function baseTopicOf(rootTopic: string): string {
  return rootTopic.slice(0, rootTopic.lastIndexOf('/'));
}
