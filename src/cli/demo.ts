// npm run demo: the whole bridge with an in-process broker, three simulated locks, a simulated
// Zigbee lock, Seam's HTTP API and the web console, and how to watch and drive it from another
// terminal or a browser.
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Bridge } from '../app/bridge.ts';
import { parseListen } from '../config/listen.ts';
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../log/logger.ts';
import type { HttpTransport } from '../transports/http/http-transport.ts';
import { demoZigbee } from './demo-zigbee.ts';

const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.yaml', import.meta.url));

/** The configured port when it is free (1883 may be taken by a system Mosquitto), else any free one. */
async function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : null));
      });
    });
  return (await tryPort(preferred)) ?? (await tryPort(0))!;
}

async function main(): Promise<void> {
  const config = loadConfig(process.env.LOCKBRIDGE_CONFIG ?? DEMO_CONFIG, process.env);
  config.mqtt.embedded_port = await freePort(config.mqtt.embedded_port);
  const listen = config.http ? parseListen(config.http.listen) : null;
  if (config.http && listen) config.http.listen = `${listen.host}:${await freePort(listen.port)}`;
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty });
  const zigbee = config.zigbee?.port.startsWith('sim://') ? demoZigbee(config.zigbee.port) : null;
  const bridge = await Bridge.start({ config, log });
  await zigbee?.pair(bridge);
  const root = `${config.mqtt.base_topic}/${config.gateway_id}`;
  const port = config.mqtt.embedded_port;
  const device = bridge.store.devices.list()[0];
  const deviceId = device?.device_id ?? '<device_id from devices/list>';
  const lines = [
    '',
    `lockbridge demo is running: broker mqtt://127.0.0.1:${port}, topics under ${root}/`,
    '',
    ...httpLines(bridge, deviceId),
    'Watch everything (Debian: apt-get install mosquitto-clients, or use `npx mqtt sub` with the same flags):',
    `  mosquitto_sub -h 127.0.0.1 -p ${port} -t '${root}/#' -v`,
    '',
    `Create a code on ${device?.name ?? 'the first lock'}:`,
    `  mosquitto_pub -h 127.0.0.1 -p ${port} -t '${root}/request/access_codes/create' -m '{"device_id":"${deviceId}","name":"Guest","code":"482916"}'`,
    'List the locks:',
    `  mosquitto_pub -h 127.0.0.1 -p ${port} -t '${root}/request/devices/list' -m '{}'`,
    '',
    `Ctrl-C stops it. The store is kept in ${config.data_dir}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  const stop = async () => {
    await bridge.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

/** The web console's and the HTTP API's address, with a key made for this run. */
function httpLines(bridge: Bridge, deviceId: string): string[] {
  const http = bridge.transports.find((t) => t.name === 'http') as HttpTransport | undefined;
  if (!http) return [];
  // One demo key at a time: the previous run's stops working.
  for (const key of bridge.apiKeys.list()) {
    if (key.name === 'demo' && key.revoked_at === null) bridge.apiKeys.revoke(key.key_id);
  }
  const { key } = bridge.apiKeys.create('demo');
  const url = http.url();
  return [
    `Web console: ${url}/  (log in with the API key below)`,
    `Seam's HTTP API: ${url}  API key for this run: ${key}`,
    `  SDK:  new SeamHttp({ apiKey: '${key}', endpoint: '${url}' })`,
    `  curl: curl -H 'Authorization: Bearer ${key}' ${url}/devices/list`,
    `        curl -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' ${url}/access_codes/create -d '{"device_id":"${deviceId}","name":"Guest","code":"135790"}'`,
    `  live events: curl -N -H 'Authorization: Bearer ${key}' ${url}/events/stream`,
    '',
  ];
}

main().catch((error: unknown) => {
  console.error('demo failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
