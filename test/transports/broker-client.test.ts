// The bridge makes its own socket for mqtt:// and mqtts://, so that mqtt.js's WebSocket and SOCKS
// transports (and Node's http, https, zlib and dns under them) are never loaded: a hub's memory.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

const BROKER_CLIENT = new URL('../../src/transports/mqtt/broker-client.ts', import.meta.url).pathname;

/** The Node built-in modules a fresh process has loaded after a client for `url` tried to connect. */
function builtinsAfterConnecting(url: string): string[] {
  const script = `
    import { brokerClient } from ${JSON.stringify(BROKER_CLIENT)};
    const client = brokerClient(${JSON.stringify(url)}, { clientId: 't', reconnectPeriod: 0 });
    client.on('error', () => {});
    setTimeout(() => {
      client.end(true);
      console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13))));
    }, 200);
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}

it('mqtt:// and mqtts:// load neither WebSockets nor SOCKS', () => {
  for (const url of ['mqtt://127.0.0.1:1', 'mqtts://127.0.0.1:1']) {
    const loaded = builtinsAfterConnecting(url);
    expect(loaded).toContain(url.startsWith('mqtts') ? 'tls' : 'net');
    expect([url, loaded.filter((m) => ['http', 'https', 'zlib', 'dns'].includes(m))]).toEqual([url, []]);
  }
});

it('ws:// goes through mqtt.js, WebSockets and all', () => {
  expect(builtinsAfterConnecting('ws://127.0.0.1:1/mqtt')).toEqual(expect.arrayContaining(['http', 'zlib']));
});
