// http.listen: HOST:PORT (an IPv6 host in brackets), and whether a host is the loopback.
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/** null when the text is not HOST:PORT with a port 0..65535 (0: any free port). */
export function parseListen(value: string): ListenAddress | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value);
  if (!match) return null;
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (port > 65535) return null;
  if (match[1] !== undefined && isIP(host) !== 6) return null;
  return { host, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
