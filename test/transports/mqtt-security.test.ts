// The bridge against a Mosquitto that wants TLS (a CA made by the test), client certificates, and
// a user name with a password: it connects with the right files; with a wrong CA, no client
// certificate or a bad password it says why once per outage, keeps trying, and keeps running;
// once the broker takes it, it says so. TLS files it cannot use stop it at start with the reason.
// And a broker on WebSockets (ws://), which goes through mqtt.js's own transports.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES } from '../../src/api/payload.ts';
import { ConfigError, checkConfigCommand, readMqttPassword, readMqttTls } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { MqttTransport } from '../../src/transports/mqtt/mqtt-transport.ts';
import { eventually } from '../helpers/api-client.ts';
import { Harness, releaseAll, simulatedDriver } from '../helpers/bridge-harness.ts';
import { type Broker, freePort, startMosquitto } from '../helpers/mosquitto.ts';
import { type Authority, type Issued, issue, makeAuthority, passwordFile } from '../helpers/test-ca.ts';

const harnesses: Harness[] = [];
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  await releaseAll(harnesses);
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

interface Pki {
  dir: string;
  ca: Authority;
  server: Issued;
  client: Issued;
  stranger: Authority;
  strangerClient: Issued;
  strangerServer: Issued;
}

function pki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'lockbridge-tls-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const ca = makeAuthority(dir, 'test-ca');
  const stranger = makeAuthority(dir, 'stranger-ca');
  return {
    dir,
    ca,
    server: issue(dir, ca, 'broker', '127.0.0.1'),
    client: issue(dir, ca, 'hub-1'),
    stranger,
    strangerClient: issue(dir, stranger, 'intruder'),
    strangerServer: issue(dir, stranger, 'fake-broker', '127.0.0.1'),
  };
}

async function tlsBroker(
  p: Pki,
  opts: { server?: Issued; requireCertificate?: boolean; passwordFile?: string } = {},
) {
  const server = opts.server ?? p.server;
  const broker: Broker = await startMosquitto({
    tls: true,
    listener: [
      `cafile ${p.ca.ca}`,
      `certfile ${server.cert}`,
      `keyfile ${server.key}`,
      `require_certificate ${opts.requireCertificate ? 'true' : 'false'}`,
    ],
    ...(opts.passwordFile ? { passwordFile: opts.passwordFile } : {}),
  });
  cleanups.push(() => broker.stop());
  return broker;
}

/** A bridge whose MQTT transport comes from the configuration's keys, retrying every 50-200 ms. */
async function bridge(mqttYaml: string) {
  const h = new Harness(simulatedDriver([{ name: 'Front' }]), {
    yaml: `mqtt: ${mqttYaml}`,
    transports: (config: Config) => [
      new MqttTransport({
        url: config.mqtt.url,
        embeddedPort: config.mqtt.embedded_port,
        clientId: 'lockbridge-test-hub',
        username: config.mqtt.username,
        password: readMqttPassword(config),
        ...readMqttTls(config),
        rootTopic: 'lockbridge/test-hub',
        includeCodes: false,
        maxPayloadBytes: MAX_PAYLOAD_BYTES,
        backoff: { base_ms: 50, max_ms: 200 },
      }),
    ],
  });
  harnesses.push(h);
  await h.startOnline();
  const lines = () =>
    h.log.text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown> & { msg: string });
  const said = (msg: string) => lines().filter((l) => l.msg === msg);
  const connected = () => h.bridge.info().broker_connected === true;
  return { h, said, connected };
}

/** A devices/list asked of the bridge by a client of the broker at `url`: its answer. */
async function devicesList(url: string, requestId: string, tls: { ca?: Buffer } = {}) {
  const client = await mqtt.connectAsync(url, { ...tls, protocolVersion: 5 });
  cleanups.push(() => client.endAsync(true));
  await client.subscribeAsync('lockbridge/test-hub/response/#', { qos: 1 });
  const answer = new Promise<string>((resolve) =>
    client.once('message', (_t, payload) => resolve(payload.toString())),
  );
  await client.publishAsync(
    'lockbridge/test-hub/request/devices/list',
    JSON.stringify({ request_id: requestId }),
    {
      qos: 1,
    },
  );
  return JSON.parse(await answer) as Record<string, unknown>;
}

it('TLS with the CA file: connects and serves requests over mqtts://', async () => {
  const p = pki();
  const broker = await tlsBroker(p);
  const { connected } = await bridge(`{ url: "${broker.url}", ca_file: ${p.ca.ca} }`);
  await eventually(connected, 10_000, 'connected over TLS');

  const answer = await devicesList(broker.url, 'tls-1', { ca: readFileSync(p.ca.ca) });
  expect(answer).toMatchObject({ ok: true, request_id: 'tls-1' });
});

it('WebSockets: connects over ws:// and serves requests', async () => {
  const wsPort = await freePort();
  const broker = await startMosquitto({ listener: [`listener ${wsPort} 127.0.0.1`, 'protocol websockets'] });
  cleanups.push(() => broker.stop());
  const { connected } = await bridge(`{ url: "ws://127.0.0.1:${wsPort}/mqtt" }`);
  await eventually(connected, 10_000, 'connected over WebSockets');

  expect(await devicesList(broker.url, 'ws-1')).toMatchObject({ ok: true, request_id: 'ws-1' });
});

it('a broker certificate from another CA: one clear line, retries, the bridge runs on', async () => {
  const p = pki();
  const broker = await tlsBroker(p, { server: p.strangerServer });
  const { h, said, connected } = await bridge(`{ url: "${broker.url}", ca_file: ${p.ca.ca} }`);
  await eventually(() => said('MQTT connection error').length >= 4, 10_000, 'several attempts');
  const outage = said('MQTT broker unreachable; retrying');
  expect(outage).toHaveLength(1);
  expect(outage[0]!.reason).toMatch(
    /^the broker's TLS certificate is not trusted \(check mqtt\.ca_file and the host in mqtt\.url\): /,
  );
  expect(connected()).toBe(false);
  expect(h.bridge.info().transports.mqtt?.reason).toMatch(/^the broker's TLS certificate is not trusted/);
  // The bridge itself goes on: locks, the store, the API.
  expect((await h.call('devices/list')).devices).toHaveLength(1);
});

it('client certificates: refused without one or with a stranger, in with ours', async () => {
  const p = pki();
  const broker = await tlsBroker(p, { requireCertificate: true });
  const without = await bridge(`{ url: "${broker.url}", ca_file: ${p.ca.ca} }`);
  await eventually(() => without.said('MQTT connection error').length >= 3, 10_000, 'refused attempts');
  const outage = without.said('MQTT broker unreachable; retrying');
  expect(outage).toHaveLength(1);
  expect(outage[0]!.reason).toMatch(
    /^the broker refused our TLS client certificate \(check mqtt\.cert_file and mqtt\.key_file\): .*certificate required/,
  );
  expect(without.connected()).toBe(false);
  await releaseAll(harnesses);

  const intruder = await bridge(
    `{ url: "${broker.url}", ca_file: ${p.ca.ca}, cert_file: ${p.strangerClient.cert}, key_file: ${p.strangerClient.key} }`,
  );
  await eventually(() => intruder.said('MQTT connection error').length >= 3, 10_000, 'refused attempts');
  expect(intruder.connected()).toBe(false);
  expect(intruder.said('MQTT broker unreachable; retrying')).toHaveLength(1);
  await releaseAll(harnesses);

  const ours = await bridge(
    `{ url: "${broker.url}", ca_file: ${p.ca.ca}, cert_file: ${p.client.cert}, key_file: ${p.client.key} }`,
  );
  await eventually(ours.connected, 10_000, 'connected with our client certificate');
});

it('user name and password_file: a wrong password is one clear line per outage; fixed on the broker, it connects', async () => {
  const p = pki();
  const users = join(p.dir, 'mosquitto-passwords');
  passwordFile(users, 'hub-1', 'the-right-one');
  const broker = await tlsBroker(p, { passwordFile: users });
  const secret = join(p.dir, 'mqtt-password');
  writeFileSync(secret, 'not-the-right-one\n');
  const { h, said, connected } = await bridge(
    `{ url: "${broker.url}", ca_file: ${p.ca.ca}, username: hub-1, password_file: ${secret} }`,
  );
  await eventually(() => said('MQTT connection error').length >= 4, 10_000, 'several refused attempts');
  const outage = said('MQTT broker unreachable; retrying');
  expect(outage).toHaveLength(1);
  expect(outage[0]!.reason).toMatch(
    /^the broker refused (the user name or password|us: not authorised) \(check mqtt\.username/,
  );
  expect(connected()).toBe(false);

  passwordFile(users, 'hub-1', 'not-the-right-one'); // the operator fixes it on the broker
  broker.reload();
  await eventually(connected, 10_000, 'connected once the broker takes the password');
  expect(said('MQTT broker reachable again')).toHaveLength(1);
  expect(said('MQTT broker unreachable; retrying')).toHaveLength(1);
  expect(h.log.text).not.toContain('not-the-right-one');
  expect(h.log.text).not.toContain('the-right-one');
});

it('TLS files it cannot use: the bridge does not start, and check-config says which and why', async () => {
  const p = pki();
  const junkKey = join(p.dir, 'junk.key');
  writeFileSync(junkKey, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n');
  const file = join(p.dir, 'config.yaml');
  writeFileSync(
    file,
    [
      'gateway_id: hub-1',
      `data_dir: ${join(p.dir, 'data')}`,
      `mqtt: { url: "mqtts://127.0.0.1:8883", ca_file: ${p.ca.ca}, cert_file: ${p.client.cert}, key_file: ${junkKey} }`,
    ].join('\n'),
  );
  const lines: string[] = [];
  expect(checkConfigCommand(file, {}, (line) => lines.push(line))).toBe(1);
  expect(lines[1]).toMatch(/^ {2}mqtt\.cert_file, mqtt\.key_file: not usable for TLS \(/);

  const h = new Harness(null, {
    brokerUrl: 'mqtts://127.0.0.1:8883',
    yaml: `mqtt: { ca_file: ${p.ca.ca}, cert_file: ${p.client.cert}, key_file: ${junkKey} }`,
  });
  cleanups.push(() => h.cleanup());
  await expect(h.start()).rejects.toThrow(ConfigError);
  expect(existsSync(h.dataDir)).toBe(false); // refused before the store was opened
});
