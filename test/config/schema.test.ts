// The file's keys, their defaults, and the problems a bad file gets, each naming its key path.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { MINIMAL, problemsOf, useTempDir } from './support.ts';

const files = useTempDir();
const load = (lines: string[]) => loadConfig(files.write('config.yaml', lines.join('\n')), {});
const problems = (lines: string[]) => problemsOf(() => load(lines));

describe('defaults', () => {
  it('fills every section of a minimal file', () => {
    const config = load(MINIMAL);
    expect(config).toEqual({
      gateway_id: 'hub-1',
      data_dir: '/var/lib/lockbridge',
      mqtt: {
        url: 'mqtt://127.0.0.1:1883',
        base_topic: 'lockbridge',
        include_codes: false,
        allow_plaintext_codes: false,
        embedded_port: 1883,
        response_topic_prefixes: [],
      },
      log: { level: 'info', pretty: false },
      timing: {
        delay_warning_after_s: 60,
        fail_after_s: 900,
        time_bound_lead_s: 0,
        require_clock_sync: false,
        retry_base_ms: 1000,
        retry_max_ms: 60000,
      },
      reconciler: { max_parallel_locks: 8 },
      outbox: { max_age_days: 7, max_events: 100000 },
      requests: { memory_hours: 24 },
      locks: [],
      homeassistant: { enabled: true, discovery_prefix: 'homeassistant' },
    });
  });

  it('gives a simulated lock without options every default, and a serial lock its baud rate', () => {
    const config = load([
      ...MINIMAL,
      'locks:',
      '  - { name: Demo, driver: simulated }',
      '  - { name: Front, driver: serial, serial: { path: /dev/ttyUSB0 } }',
    ]);
    expect(config.locks).toEqual([
      {
        name: 'Demo',
        driver: 'simulated',
        simulated: {
          slots: 30,
          min_code_length: 4,
          max_code_length: 8,
          latency_ms: 50,
          can_read_codes: true,
          supports_native_scheduling: false,
          keep_slots: false,
        },
      },
      {
        name: 'Front',
        driver: 'serial',
        serial: { path: '/dev/ttyUSB0', baud_rate: 115200, response_timeout_ms: 300 },
      },
    ]);
  });

  it('fills a partly written section and keeps what was given', () => {
    const config = load([
      ...MINIMAL,
      'timing:',
      '  fail_after_s: 120',
      'zigbee: { adapter: ember, port: /dev/ttyACM0 }',
    ]);
    expect(config.timing.fail_after_s).toBe(120);
    expect(config.timing.delay_warning_after_s).toBe(60);
    expect(config.zigbee).toEqual({
      adapter: 'ember',
      port: '/dev/ttyACM0',
      channel: 15,
      names: {},
      response_timeout_ms: 10000,
      read_chunk: 5,
      devices: {},
    });
  });

  it('accepts every broker URL scheme and "embedded"', () => {
    for (const url of ['mqtt://h:1883', 'mqtts://h', 'ws://h/mqtt', 'wss://h:443/mqtt', 'embedded']) {
      expect(load(['gateway_id: a', 'data_dir: /d', `mqtt: { url: "${url}" }`]).mqtt.url).toBe(url);
    }
  });
});

describe('unknown keys', () => {
  it('names an unknown key at the top level', () => {
    expect(problems([...MINIMAL, 'gatway_id: x'])).toEqual(['gatway_id: unknown key']);
  });

  it('names an unknown key in a section', () => {
    expect(problems([...MINIMAL, 'timing:', '  fail_afters: 3'])).toEqual([
      'timing.fail_afters: unknown key',
    ]);
  });

  it('names an unknown key inside a lock entry and its driver options', () => {
    expect(
      problems([
        ...MINIMAL,
        'locks:',
        '  - { name: A, driver: simulated, simulated: { slot: 3 } }',
        '  - { name: B, driver: serial, serial: { path: /dev/x, baud: 9600 }, colour: red }',
      ]),
    ).toEqual([
      'locks.0.simulated.slot: unknown key',
      'locks.1.serial.baud: unknown key',
      'locks.1.colour: unknown key',
    ]);
  });

  it('names an unknown key under zigbee, and under a device quirk override', () => {
    expect(
      problems([
        ...MINIMAL,
        'zigbee: { adapter: zstack, port: /dev/x, pan: 7, devices: { "0x00124b0012345678": { base: 1 } } }',
      ]),
    ).toEqual(['zigbee.devices.0x00124b0012345678.base: unknown key', 'zigbee.pan: unknown key']);
  });

  it('takes the Zigbee network settings and per-device quirk overrides', () => {
    const config = load([
      ...MINIMAL,
      'zigbee:',
      '  adapter: deconz',
      '  port: /dev/ttyACM0',
      '  pan_id: 0x1a62',
      '  extended_pan_id: "0xdddddddddddddddd"',
      '  baud_rate: 38400',
      '  rtscts: false',
      '  adapter_concurrency: 2',
      '  on_adapter_loss: restart',
      '  devices: { "0x00124b0012345678": { user_id_base: 1, endpoint: 11, read_back: true } }',
    ]);
    expect(config.zigbee).toMatchObject({
      pan_id: 0x1a62,
      extended_pan_id: '0xdddddddddddddddd',
      baud_rate: 38400,
      rtscts: false,
      adapter_concurrency: 2,
      on_adapter_loss: 'restart',
      devices: { '0x00124b0012345678': { user_id_base: 1, endpoint: 11, read_back: true } },
    });
  });
});

describe('bad values', () => {
  it('names each missing required key', () => {
    expect(problems(['mqtt: {}'])).toEqual([
      'gateway_id: Required',
      'data_dir: Required',
      'mqtt.url: Required',
    ]);
  });

  it('refuses a gateway id that cannot be part of a topic', () => {
    const [problem] = problems(['gateway_id: Hub 1', 'data_dir: /d', 'mqtt: { url: embedded }']);
    expect(problem).toMatch(/^gateway_id: expected 1 to 64 characters/);
  });

  it('refuses a broker URL of another scheme and says which are allowed', () => {
    const [problem] = problems(['gateway_id: a', 'data_dir: /d', 'mqtt: { url: "http://h" }']);
    expect(problem).toBe('mqtt.url: expected an mqtt://, mqtts://, ws:// or wss:// URL, or "embedded"');
  });

  it('refuses a password in the broker URL without repeating it', () => {
    const list = problems(['gateway_id: a', 'data_dir: /d', 'mqtt: { url: "mqtt://hub:s3cret-pw@h" }']);
    expect(list).toEqual(['mqtt.url: no password in the URL: put it in mqtt.password_file']);
  });

  it('names a value of the wrong type without echoing it', () => {
    expect(problems([...MINIMAL, 'timing:', '  retry_base_ms: soon'])).toEqual([
      'timing.retry_base_ms: expected number, got string',
    ]);
  });

  it('refuses an unknown log level', () => {
    const [problem] = problems([...MINIMAL, 'log: { level: verbose }']);
    expect(problem).toMatch(/^log\.level: .*"trace".*"error"/);
  });

  it('refuses wildcards and stray slashes in base_topic', () => {
    for (const topic of ['lock/#', 'a/+/b', '/lockbridge', 'lockbridge/', 'a//b']) {
      const [problem] = problems([
        'gateway_id: a',
        'data_dir: /d',
        `mqtt: { url: embedded, base_topic: "${topic}" }`,
      ]);
      expect(problem).toMatch(/^mqtt\.base_topic: /);
    }
  });

  it('refuses fail_after_s not after delay_warning_after_s, and retry_max_ms below retry_base_ms', () => {
    expect(problems([...MINIMAL, 'timing: { delay_warning_after_s: 60, fail_after_s: 60 }'])).toEqual([
      'timing.fail_after_s: must be greater than delay_warning_after_s (60)',
    ]);
    expect(problems([...MINIMAL, 'timing: { retry_base_ms: 5000, retry_max_ms: 1000 }'])).toEqual([
      'timing.retry_max_ms: must be at least retry_base_ms (5000)',
    ]);
  });

  it('refuses negative timings and a port out of range', () => {
    expect(problems([...MINIMAL, 'timing: { time_bound_lead_s: -1 }'])[0]).toMatch(
      /^timing\.time_bound_lead_s: /,
    );
    expect(
      problems(['gateway_id: a', 'data_dir: /d', 'mqtt: { url: embedded, embedded_port: 70000 }'])[0],
    ).toMatch(/^mqtt\.embedded_port: /);
  });

  it('refuses PINs over plaintext MQTT to another machine, and says why and how to allow it', () => {
    const file = (url: string, extra = '') => [
      'gateway_id: a',
      'data_dir: /d',
      `mqtt: { url: "${url}", include_codes: true${extra} }`,
    ];
    expect(problems(file('mqtt://broker.example.net:1883'))).toEqual([
      'mqtt.include_codes: would send PINs unencrypted over the network to broker.example.net: use an mqtts:// or wss:// url, or set mqtt.allow_plaintext_codes: true to accept that',
    ]);
    expect(problems(file('ws://10.0.0.5/mqtt'))).toHaveLength(1);
    // Encrypted, on this machine, or explicitly allowed: accepted.
    const accepted = [
      'mqtts://broker.example.net',
      'wss://b/mqtt',
      'mqtt://127.0.0.1',
      'mqtt://localhost:1883',
      'mqtt://[::1]:1883',
      'embedded',
    ];
    for (const url of accepted) expect(load(file(url)).mqtt.include_codes).toBe(true);
    expect(load(file('mqtt://broker.example.net', ', allow_plaintext_codes: true')).mqtt.include_codes).toBe(
      true,
    );
    // Without include_codes no PIN leaves: nothing to refuse.
    expect(
      load(['gateway_id: a', 'data_dir: /d', 'mqtt: { url: "mqtt://broker.example.net" }']).mqtt.url,
    ).toBe('mqtt://broker.example.net');
  });

  it('checks the homeassistant section: a boolean, and a discovery prefix that can be a topic', () => {
    expect(
      load([...MINIMAL, 'homeassistant: { enabled: false, discovery_prefix: ha/disc }']).homeassistant,
    ).toEqual({
      enabled: false,
      discovery_prefix: 'ha/disc',
    });
    expect(
      problems([...MINIMAL, 'homeassistant: { enabled: yes please, discovery_prefix: "ha/#" }']),
    ).toEqual([
      'homeassistant.enabled: expected boolean, got string',
      'homeassistant.discovery_prefix: must not contain the MQTT wildcards + or #',
    ]);
  });

  it('takes response topic prefixes of whole levels outside base_topic, and names a bad one', () => {
    const ok = load([...MINIMAL, '  response_topic_prefixes: [cloud/answers/, "tenant-7/"]']);
    expect(ok.mqtt.response_topic_prefixes).toEqual(['cloud/answers/', 'tenant-7/']);
    expect(
      problems([...MINIMAL, '  response_topic_prefixes: ["cloud/#/", "$SYS/", "answers", "/"]']),
    ).toEqual([
      'mqtt.response_topic_prefixes.0: must not contain the MQTT wildcards + or #',
      'mqtt.response_topic_prefixes.1: must not start with "$" (the broker’s own topics)',
      'mqtt.response_topic_prefixes.2: must end with "/" (a prefix of whole topic levels)',
      'mqtt.response_topic_prefixes.3: must not be empty',
    ]);
    expect(problems([...MINIMAL, '  response_topic_prefixes: ["lockbridge/hub-1/"]'])).toEqual([
      'mqtt.response_topic_prefixes.0: must not be below base_topic "lockbridge/": the bridges publish their own topics there (answers may always go below <base_topic>/<gateway_id>/clients/)',
    ]);
  });

  it('wants cert_file and key_file together', () => {
    expect(problems([...MINIMAL, '  cert_file: /etc/lockbridge/client.pem'])).toEqual([
      'mqtt.key_file: required with cert_file (mutual TLS needs both)',
    ]);
    expect(problems([...MINIMAL, '  key_file: /etc/lockbridge/client.key'])).toEqual([
      'mqtt.cert_file: required with key_file (mutual TLS needs both)',
    ]);
    const both = load([...MINIMAL, '  cert_file: /etc/c.pem', '  key_file: /etc/c.key']);
    expect(both.mqtt).toMatchObject({ cert_file: '/etc/c.pem', key_file: '/etc/c.key' });
  });

  it('names a missing serial path and a missing or unknown driver', () => {
    expect(
      problems([
        ...MINIMAL,
        'locks:',
        '  - { name: A, driver: simulated }',
        '  - { name: B, driver: serial, serial: {} }',
        '  - { name: C }',
        '  - { name: D, driver: zwave }',
      ]),
    ).toEqual([
      'locks.1.serial.path: Required',
      'locks.2.driver: Required',
      'locks.3.driver: expected one of simulated, serial',
    ]);
  });

  it('refuses simulated code lengths out of range or crossed, and too many slots', () => {
    const list = problems([
      ...MINIMAL,
      'locks:',
      '  - { name: A, driver: simulated, simulated: { min_code_length: 8, max_code_length: 6 } }',
      '  - { name: B, driver: simulated, simulated: { max_code_length: 13, slots: 1001 } }',
    ]);
    expect(list).toHaveLength(3);
    expect(list[0]).toBe('locks.0.simulated.max_code_length: must be at least min_code_length (8)');
    expect(list.slice(1).sort()).toEqual([
      expect.stringMatching(/^locks\.1\.simulated\.max_code_length: /),
      expect.stringMatching(/^locks\.1\.simulated\.slots: /),
    ]);
  });

  it('names a duplicate lock name with the entry it repeats', () => {
    expect(
      problems([
        ...MINIMAL,
        'locks:',
        '  - { name: Front door, driver: simulated }',
        '  - { name: Back door, driver: simulated }',
        '  - { name: Front door, driver: serial, serial: { path: /dev/ttyUSB0 } }',
      ]),
    ).toEqual(['locks.2.name: duplicate lock name "Front door" (also locks.0.name)']);
  });

  it('refuses Zigbee network settings and quirk overrides out of range', () => {
    expect(
      problems([
        ...MINIMAL,
        'zigbee:',
        '  adapter: zstack',
        '  port: /dev/ttyACM0',
        '  pan_id: 65535',
        '  extended_pan_id: "0xddd"',
        '  on_adapter_loss: never',
        '  devices: { "0x00124b0012345678": { user_id_base: 2 } }',
      ]).map((p) => p.split(':')[0]),
    ).toEqual([
      'zigbee.pan_id',
      'zigbee.extended_pan_id',
      'zigbee.on_adapter_loss',
      'zigbee.devices.0x00124b0012345678.user_id_base',
    ]);
  });

  it('refuses a zigbee channel out of range and a name keyed by something other than an IEEE address', () => {
    const list = problems([
      ...MINIMAL,
      'zigbee:',
      '  adapter: zstack',
      '  port: /dev/ttyACM0',
      '  channel: 27',
      '  names: { "0x00124b0012345678": Back door, "back-door": Side door }',
    ]);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatch(/^zigbee\.channel: /);
    expect(list[1]).toBe(
      'zigbee.names.back-door: not a valid key: expected an IEEE address like 0x00124b0012345678',
    );
  });

  it('reports every problem at once', () => {
    const list = problems([
      'gateway_id: UPPER',
      'data_dir: 7',
      'mqtt: { url: embedded, include_codes: "yes" }',
    ]);
    expect(list.map((p) => p.split(':')[0])).toEqual(['gateway_id', 'data_dir', 'mqtt.include_codes']);
  });
});
