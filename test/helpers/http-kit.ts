// One bridge (simulated locks, real store) serving Seam's HTTP API on a free loopback port, and an
// API key for it; tests talk to it with Seam's own SDK.
import { SeamHttp } from '@seamapi/http';
import { parse, stringify } from 'yaml';
import type { HttpTransport } from '../../src/transports/http/http-transport.ts';
import { eventually } from './api-client.ts';
import { Harness, type HarnessOptions, type SimLockSpec, simulatedDriver } from './bridge-harness.ts';

export interface HttpEnv {
  h: Harness;
  /** The API's base URL (http://127.0.0.1:<port>). */
  url: string;
  key: string;
  seam: SeamHttp;
  close(): Promise<void>;
}

/** The test's YAML with an http: section on a free loopback port (the test's own keys win). */
export function withHttp(yaml = ''): string {
  const config = (parse(yaml) ?? {}) as Record<string, Record<string, unknown>>;
  return stringify({ ...config, http: { listen: '127.0.0.1:0', ...config.http } });
}

export function httpUrl(h: Harness): string {
  const http = h.bridge.transports.find((t) => t.name === 'http') as HttpTransport | undefined;
  if (!http) throw new Error('the bridge has no HTTP transport');
  return http.url();
}

/**
 * The secret of a key `seam_<key_id>_<secret>`: all after the key id. The secret is base64url and
 * may hold `_` itself (one key in 64 even starts with one), so split('_') would cut it short, or
 * to nothing, and a test looking for it would find a few bytes that are anywhere.
 */
export function keySecret(key: string): string {
  const secret = /^seam_[0-9a-f]{8}_([A-Za-z0-9_-]{43})$/.exec(key)?.[1];
  if (secret === undefined) throw new Error('not an API key of the form seam_<key_id>_<secret>');
  return secret;
}

export function seamClient(url: string, apiKey: string, extra: Record<string, unknown> = {}): SeamHttp {
  return new SeamHttp({ apiKey, endpoint: url, ...extra });
}

export async function startHttp(specs: SimLockSpec[], options: HarnessOptions = {}): Promise<HttpEnv> {
  const h = new Harness(simulatedDriver(specs), { ...options, yaml: withHttp(options.yaml) });
  await h.start();
  await eventually(
    () => specs.every((_, i) => h.bridge.store.devices.byIdentity(h.lock(i).identity)?.online),
    5000,
    'locks online',
  );
  const { key } = h.bridge.apiKeys.create('test');
  const url = httpUrl(h);
  return {
    h,
    url,
    key,
    seam: seamClient(url, key),
    async close() {
      await h.stop().catch(() => undefined);
      h.cleanup();
    },
  };
}
