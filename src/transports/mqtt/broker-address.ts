// The broker's URL as mqtt.js connection options, parsed with the WHATWG URL parser. Handing
// mqtt.js the URL string makes it call the legacy url.parse(), which Node deprecates with a warning
// (DEP0169) on every start once the code is bundled outside node_modules.
import type { IClientOptions } from 'mqtt';

type BrokerAddress = Pick<IClientOptions, 'protocol' | 'host' | 'port' | 'path' | 'username'>;

export function brokerAddress(url: string): BrokerAddress {
  const parsed = new URL(url);
  const protocol = parsed.protocol.replace(/:$/, '') as NonNullable<IClientOptions['protocol']>;
  return {
    protocol,
    // IPv6 literals come bracketed from URL; sockets want them bare.
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    ...(parsed.port === '' ? {} : { port: Number(parsed.port) }),
    // Only WebSockets have a path (mqtt.js drops it for the others).
    ...(protocol.startsWith('ws') ? { path: `${parsed.pathname}${parsed.search}` } : {}),
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
  };
}
