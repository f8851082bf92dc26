// Reading the file: YAML errors with their position, a missing file, relative paths, the
// environment overrides, and the MQTT password file.
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, readMqttPassword, resolveConfigPath } from '../../src/config/load.ts';
import { MINIMAL, problemsOf, useTempDir } from './support.ts';

const files = useTempDir();

describe('reading the file', () => {
  it('reports a YAML syntax error with its line and column', () => {
    const file = files.write(
      'config.yaml',
      ['gateway_id: hub-1', 'mqtt:', '  url: [mqtt://x', 'data_dir: /d'].join('\n'),
    );
    const list = problemsOf(() => loadConfig(file, {}));
    expect(list.length).toBeGreaterThan(0);
    expect(list[0]).toMatch(new RegExp(`^${file}: line \\d+, column \\d+: `));
    expect(list.every((p) => !p.includes('\n'))).toBe(true);
  });

  it('reports a key given twice', () => {
    const file = files.write('config.yaml', [...MINIMAL, 'gateway_id: hub-2'].join('\n'));
    expect(problemsOf(() => loadConfig(file, {}))).toEqual([
      `${file}: line 5, column 1: Map keys must be unique`,
    ]);
  });

  it('reports a missing file clearly', () => {
    const file = join(files.dir(), 'nope.yaml');
    expect(problemsOf(() => loadConfig(file, {}))).toEqual([
      `${file}: cannot read the configuration file (no such file)`,
    ]);
  });

  it('reports a file that is not a mapping', () => {
    const file = files.write('config.yaml', '- gateway_id: hub-1\n');
    expect(problemsOf(() => loadConfig(file, {}))[0]).toMatch(/expected a mapping of keys/);
  });

  it('treats an empty file as one with every required key missing', () => {
    const file = files.write('config.yaml', '');
    expect(problemsOf(() => loadConfig(file, {}))).toEqual([
      'gateway_id: Required',
      'data_dir: Required',
      'mqtt: Required',
    ]);
  });

  it('resolves relative paths against the file, not the working directory', () => {
    mkdirSync(join(files.dir(), 'etc'));
    const file = files.write(
      'etc/config.yaml',
      [
        'gateway_id: hub-1',
        'data_dir: ../var/data',
        'mqtt:',
        '  url: mqtts://broker',
        '  password_file: secrets/pw',
        '  ca_file: ./ca.pem',
        '  cert_file: /abs/client.pem',
        '  key_file: client.key',
        'zigbee: { adapter: zstack, port: /dev/ttyACM0, network_key_file: zigbee.key }',
      ].join('\n'),
    );
    const config = loadConfig(file, {});
    expect(config.data_dir).toBe(join(files.dir(), 'var/data'));
    expect(config.mqtt.password_file).toBe(join(files.dir(), 'etc/secrets/pw'));
    expect(config.mqtt.ca_file).toBe(join(files.dir(), 'etc/ca.pem'));
    expect(config.mqtt.cert_file).toBe('/abs/client.pem');
    expect(config.mqtt.key_file).toBe(join(files.dir(), 'etc/client.key'));
    expect(config.zigbee?.network_key_file).toBe(join(files.dir(), 'etc/zigbee.key'));
    expect('username' in config.mqtt).toBe(false);
  });
});

describe('environment overrides', () => {
  const minimal = () => files.write('config.yaml', MINIMAL.join('\n'));

  it('overrides the broker URL, gateway id, data dir and log level', () => {
    const config = loadConfig(minimal(), {
      LOCKBRIDGE_MQTT_URL: 'wss://broker.example:8884/mqtt',
      LOCKBRIDGE_GATEWAY_ID: '0123',
      LOCKBRIDGE_DATA_DIR: 'state',
      LOCKBRIDGE_LOG_LEVEL: 'debug',
    });
    expect(config.mqtt.url).toBe('wss://broker.example:8884/mqtt');
    expect(config.gateway_id).toBe('0123'); // text settings stay text
    expect(config.data_dir).toBe(join(files.dir(), 'state'));
    expect(config.log.level).toBe('debug');
  });

  it('reads numbers and booleans as YAML does, into sections the file leaves out', () => {
    const config = loadConfig(minimal(), {
      LOCKBRIDGE_TIMING_FAIL_AFTER_S: '1800',
      LOCKBRIDGE_TIMING_RETRY_MAX_MS: '1e5',
      LOCKBRIDGE_TIMING_REQUIRE_CLOCK_SYNC: 'true',
      LOCKBRIDGE_MQTT_INCLUDE_CODES: 'false',
      LOCKBRIDGE_LOG_PRETTY: 'true',
      LOCKBRIDGE_RECONCILER_MAX_PARALLEL_LOCKS: '2',
      LOCKBRIDGE_OUTBOX_MAX_EVENTS: '500',
    });
    expect(config.timing).toMatchObject({
      fail_after_s: 1800,
      retry_max_ms: 100000,
      require_clock_sync: true,
    });
    expect(config.mqtt.include_codes).toBe(false);
    expect(config.log.pretty).toBe(true);
    expect(config.reconciler.max_parallel_locks).toBe(2);
    expect(config.outbox.max_events).toBe(500);
  });

  it('wins over the file', () => {
    const file = files.write(
      'config.yaml',
      [...MINIMAL, '  include_codes: true', 'log: { level: warn }'].join('\n'),
    );
    const config = loadConfig(file, {
      LOCKBRIDGE_MQTT_INCLUDE_CODES: 'false',
      LOCKBRIDGE_LOG_LEVEL: 'trace',
    });
    expect(config.mqtt.include_codes).toBe(false);
    expect(config.log.level).toBe('trace');
  });

  it('names the variable when its value is bad', () => {
    expect(
      problemsOf(() =>
        loadConfig(minimal(), {
          LOCKBRIDGE_MQTT_URL: 'ftp://x',
          LOCKBRIDGE_MQTT_EMBEDDED_PORT: 'high',
          LOCKBRIDGE_LOG_PRETTY: 'yes please',
        }),
      ),
    ).toEqual([
      'mqtt.url: expected an mqtt://, mqtts://, ws:// or wss:// URL, or "embedded" (from LOCKBRIDGE_MQTT_URL)',
      'mqtt.embedded_port: expected number, got string (from LOCKBRIDGE_MQTT_EMBEDDED_PORT)',
      'log.pretty: expected boolean, got string (from LOCKBRIDGE_LOG_PRETTY)',
    ]);
  });

  it('ignores variables that name no setting, an empty variable, and LOCKBRIDGE_CONFIG', () => {
    const config = loadConfig(minimal(), {
      LOCKBRIDGE_CONFIG: '/somewhere/else.yaml',
      LOCKBRIDGE_MQTT_COLOUR: 'red',
      LOCKBRIDGE_LOCKS: '[]',
      LOCKBRIDGE_MQTT_URL: '',
    });
    expect(config.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect('colour' in config.mqtt).toBe(false);
  });

  it('supplies a required key the file leaves out', () => {
    const file = files.write('config.yaml', 'gateway_id: hub-1\nmqtt: { url: embedded }\n');
    expect(loadConfig(file, { LOCKBRIDGE_DATA_DIR: '/srv/lockbridge' }).data_dir).toBe('/srv/lockbridge');
  });
});

describe('resolveConfigPath', () => {
  it('prefers the flag, then LOCKBRIDGE_CONFIG, else nothing', () => {
    expect(resolveConfigPath('/a.yaml', { LOCKBRIDGE_CONFIG: '/b.yaml' })).toBe('/a.yaml');
    expect(resolveConfigPath(undefined, { LOCKBRIDGE_CONFIG: '/b.yaml' })).toBe('/b.yaml');
    expect(resolveConfigPath(undefined, { LOCKBRIDGE_CONFIG: '' })).toBeUndefined();
    expect(resolveConfigPath(undefined, {})).toBeUndefined();
  });
});

describe('readMqttPassword', () => {
  const withPasswordFile = (name: string) =>
    loadConfig(files.write('config.yaml', [...MINIMAL, `  password_file: ${name}`].join('\n')), {});

  it('reads the file next to the config and drops the trailing newline', () => {
    files.write('mqtt-password', 'c0rrect horse \n');
    expect(readMqttPassword(withPasswordFile('mqtt-password'))).toBe('c0rrect horse ');
    files.write('mqtt-password', 'crlf-pw\r\n');
    expect(readMqttPassword(withPasswordFile('mqtt-password'))).toBe('crlf-pw');
  });

  it('is undefined without a password file', () => {
    expect(readMqttPassword(loadConfig(files.write('config.yaml', MINIMAL.join('\n')), {}))).toBeUndefined();
  });

  it('says which file it could not read', () => {
    const config = withPasswordFile('missing-pw');
    expect(problemsOf(() => readMqttPassword(config))).toEqual([
      `mqtt.password_file: cannot read ${join(files.dir(), 'missing-pw')} (no such file)`,
    ]);
  });

  it('refuses an empty password file', () => {
    files.write('mqtt-password', '\n');
    expect(problemsOf(() => readMqttPassword(withPasswordFile('mqtt-password')))[0]).toMatch(/is empty$/);
  });

  it.skipIf(process.getuid?.() === 0)('reports a file it may not read', () => {
    chmodSync(files.write('mqtt-password', 'pw'), 0o000);
    expect(problemsOf(() => readMqttPassword(withPasswordFile('mqtt-password')))[0]).toMatch(
      /permission denied/,
    );
  });
});
