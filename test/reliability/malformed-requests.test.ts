// More than 10,000 malformed requests over MQTT, through a real Mosquitto to a bridge with locks
// and codes: random bytes, random JSON, a wrong type for every field of every route, huge strings,
// odd Unicode, deep nesting, prototype names, PINs as numbers, unknown routes. Every one gets an
// answer that says clearly what was wrong (never internal_error), with the request's own
// request_id; nothing stored changes; the bridge keeps working. Seeded: a failure names its seed
// (LOCKBRIDGE_FUZZ_SEED=<seed> to run the same requests again).
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROUTES } from '../../src/api/routes/index.ts';
import { type ApiBody, eventually } from '../helpers/api-client.ts';
import { Harness, ROOT, simulatedDriver } from '../helpers/bridge-harness.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';
import { prng } from '../helpers/prng.ts';

const SEED = Number(process.env.LOCKBRIDGE_FUZZ_SEED ?? randomInt(2 ** 31));
const TOTAL = 10_500;
const IN_FLIGHT = 64;
const ANSWERS = `${ROOT}/clients/fuzz/answers`;

const random = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (max: number) => Math.floor(random() * max);

/** What a request may be answered with: never internal_error. */
const CLEAR_ERRORS = new Set([
  'invalid_input',
  'unknown_route',
  'device_not_found',
  'access_code_not_found',
  'action_attempt_not_found',
  'device_offline',
  'duplicate_access_code',
  // zigbee/permit_join and zigbee/remove_device on a bridge without a zigbee section
  'zigbee_not_configured',
]);
/** Routes that change nothing: a malformed-looking request to them may well be valid. */
const READ_ONLY = new Set([
  'access_codes/get',
  'access_codes/list',
  'access_codes/unmanaged/list',
  'access_codes/unmanaged/get',
  'action_attempts/get',
  'devices/list',
  'devices/get',
  'events/list',
]);

/**
 * Each route's fields (mqtt-api.md "Routes"), with a valid value to start from. Routes that change
 * things name a device or code that does not exist: where the "wrong" value happens to be valid
 * (null for a nullable name), the answer is not_found and still nothing changes.
 */
function fields(device: string, code: string, attempt: string): Record<string, Record<string, unknown>> {
  const nowhere = '00000000-0000-4000-8000-000000000000';
  const window = { starts_at: '2031-01-01T10:00:00.000Z', ends_at: '2031-01-02T10:00:00.000Z' };
  return {
    'access_codes/create': {
      device_id: nowhere,
      code: '0000',
      name: 'n',
      ...window,
      common_code_key: 'k',
      prefer_native_scheduling: false,
      allow_external_modification: false,
      is_one_time_use: false,
    },
    'access_codes/get': { access_code_id: code },
    'access_codes/list': { device_id: device, access_code_ids: [code] },
    'access_codes/update': { access_code_id: nowhere, name: 'n', code: '0000', ...window, type: 'ongoing' },
    'access_codes/delete': { access_code_id: nowhere },
    'access_codes/unmanaged/list': { device_id: device },
    'access_codes/unmanaged/get': { access_code_id: code },
    'access_codes/unmanaged/convert_to_managed': { access_code_id: nowhere },
    'access_codes/unmanaged/delete': { access_code_id: nowhere },
    'action_attempts/get': { action_attempt_id: attempt },
    'devices/list': {},
    'devices/get': { device_id: device },
    'locks/lock_door': { device_id: nowhere },
    'locks/unlock_door': { device_id: nowhere },
    'events/list': {
      since: '2020-01-01T00:00:00.000Z',
      device_id: device,
      event_type: 'lock.locked',
      limit: 10,
    },
  };
}

const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\ud800',
  '\udc00x',
  '\ufffd',
  '\u202eevil',
  'e\u0301\u0301\u0301',
  '😀'.repeat(40),
  '\u2028\u2029',
  'x'.repeat(300),
  'x'.repeat(70_000),
  '__proto__',
  'constructor',
  '12 34',
  ' 1234',
  '１２３４', // full-width digits: not 0-9
  '٠١٢٣', // Arabic-Indic digits
  '1e3',
  '0x1f',
  '-1234',
  'NaN',
  'null',
  '2031-13-45T99:99:99Z',
  '2031-01-01T10:00:00', // no zone
];
const WRONG_VALUES: unknown[] = [
  0,
  -1,
  1.5,
  1234, // a PIN as a number
  482916,
  1e308,
  true,
  false,
  null,
  [],
  [1, 2],
  {},
  { a: 1 },
  JSON.parse('{"__proto__": {"polluted": true}}'),
  ...ODD_STRINGS,
];
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];

interface Case {
  route: string;
  payload: Buffer;
  /** The request_id the answer must carry, when the payload gives a usable one. */
  id?: string;
}

/** A payload over 64 KiB is not parsed: its request_id is echoed only from its first 64 KiB. */
function asCase(route: string, body: unknown, id?: string): Case {
  const payload = Buffer.from(JSON.stringify(body));
  const late = payload.length > 65_536 && payload.indexOf('"request_id":') > 60_000;
  return { route, payload, ...(id !== undefined && !late ? { id } : {}) };
}
const usableId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= 128;
let serial = 0;
const newId = () =>
  pick([`fz-${serial++}`, `fz-${serial++}-\ud800`, `fz-${serial++}-\ufffd`, `fz-${serial++}-😀`]);

/** Every field of every route, each in turn given each wrong value; the rest valid. */
function wrongTypes(table: Record<string, Record<string, unknown>>): Case[] {
  const cases: Case[] = [];
  for (const [route, valid] of Object.entries(table)) {
    for (const field of [...Object.keys(valid), 'request_id']) {
      for (const wrong of WRONG_VALUES) {
        const id = newId();
        const body: Record<string, unknown> = { ...valid, request_id: id, [field]: wrong };
        // A wrong request_id itself cannot be echoed: the bridge generates one.
        cases.push(asCase(route, body, field === 'request_id' ? (usableId(wrong) ? wrong : undefined) : id));
      }
    }
  }
  return cases;
}

function randomJson(depth = 0): unknown {
  switch (int(depth > 3 ? 5 : 8)) {
    case 0:
      return random() * 1e6 - 5e5;
    case 1:
      return pick(ODD_STRINGS.slice(0, 11));
    case 2:
      return random() < 0.5;
    case 3:
      return null;
    case 4:
      return pick(PROTOTYPE_NAMES);
    case 5:
      return Array.from({ length: int(4) }, () => randomJson(depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = 0; i < int(5); i++)
        object[pick([...PROTOTYPE_NAMES, 'device_id', 'code', 'name', 'x'])] = randomJson(depth + 1);
      return object;
    }
  }
}

function randomBytes(): Buffer {
  return Buffer.from(Array.from({ length: int(300) }, () => int(256)));
}

function deepNesting(): Case[] {
  const cases: Case[] = [];
  for (const depth of [100, 1000, 10_000, 30_000]) {
    const id = newId();
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    cases.push({
      route: 'access_codes/create',
      payload: Buffer.from(`{"request_id":${JSON.stringify(id)},"device_id":${nested}}`),
      id,
    });
    const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    cases.push({
      route: 'access_codes/list',
      payload: Buffer.from(`{"request_id":${JSON.stringify(id)}x,"x":${objects}}`),
    });
    cases.push({
      route: 'devices/get',
      payload: Buffer.from(`{"request_id":${JSON.stringify(`${id}-o`)},"device_id":${objects}}`),
      id: `${id}-o`,
    });
    cases.push({ route: 'events/list', payload: Buffer.from('['.repeat(depth)) }); // never closed
  }
  return cases;
}

function oddRoutes(): Case[] {
  const routes = [
    '',
    '/',
    'access_codes',
    'access_codes/',
    'access_codes//create',
    'ACCESS_CODES/CREATE',
    'access_codes/create/',
    'access_codes/create/extra',
    'access_codes/créate',
    '\u202eaccess_codes/create',
    'x'.repeat(1000),
    '😀/😀',
    ...PROTOTYPE_NAMES,
    ...PROTOTYPE_NAMES.map((n) => `access_codes/${n}`),
    ...PROTOTYPE_NAMES.map((n) => `${n}/create`),
  ];
  return routes.map((route) => {
    const id = newId();
    return asCase(route, { request_id: id }, id);
  });
}

function hugePayloads(device: string): Case[] {
  const cases: Case[] = [];
  for (let i = 0; i < 20; i++) {
    const id = newId();
    // The request_id first: read from the start of a payload too large to parse.
    cases.push(
      asCase('access_codes/create', { request_id: id, device_id: device, name: 'x'.repeat(70_000 + i) }, id),
    );
  }
  cases.push({ route: 'devices/list', payload: Buffer.alloc(200_000, 0x7b) }); // "{{{{..." and over 64 KiB
  return cases;
}

function generate(device: string, code: string, attempt: string): Case[] {
  const table = fields(device, code, attempt);
  const routes = [...ROUTES.keys()];
  const cases: Case[] = [...wrongTypes(table), ...deepNesting(), ...oddRoutes(), ...hugePayloads(device)];
  // PINs as numbers, on both routes that take one.
  for (const pin of [1234, 482916, 0, -1234, 123456789012, 12.5]) {
    for (const route of ['access_codes/create', 'access_codes/update']) {
      const id = newId();
      cases.push(asCase(route, { ...table[route], request_id: id, code: pin }, id));
    }
  }
  // Prototype names as keys of the payload.
  for (const name of PROTOTYPE_NAMES) {
    for (const route of routes) {
      const id = newId();
      cases.push({
        route,
        payload: Buffer.from(`{"request_id":${JSON.stringify(id)},"${name}":{"device_id":"${device}"}}`),
        id,
      });
    }
  }
  // Then random bytes and random JSON to the real routes, up to the total.
  while (cases.length < TOTAL) {
    const route = pick(routes);
    if (random() < 0.3) {
      cases.push({ route, payload: randomBytes() });
    } else {
      const value = randomJson();
      if (value !== null && typeof value === 'object' && !Array.isArray(value) && random() < 0.7) {
        const id = newId();
        (value as Record<string, unknown>).request_id = id;
        cases.push(asCase(route, value, id));
      } else {
        cases.push(asCase(route, value));
      }
    }
  }
  return cases;
}

let broker: Broker;
let h: Harness;
let client: MqttClient;

beforeAll(async () => {
  broker = await startMosquitto();
  h = new Harness(simulatedDriver([{ name: 'Front' }, { name: 'Back' }]), {
    brokerUrl: broker.url,
    yaml: 'log: { level: info }',
  });
  await h.startOnline();
  client = await mqtt.connectAsync(broker.url, {
    protocolVersion: 5,
    clientId: `fuzz-${SEED}`,
    reconnectPeriod: 100,
  });
  await client.subscribeAsync(ANSWERS, { qos: 1 });
});
afterAll(async () => {
  await client?.endAsync(true);
  await h?.stop();
  h?.cleanup();
  await broker?.stop();
});

/** Every table but the request memory (where refusals are remembered under their request_id). */
function dumpStore(): string {
  const db = new DatabaseSync(join(h.dataDir, 'lockbridge.db'), { readOnly: true });
  try {
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
        name: string;
      }>
    )
      .map((t) => t.name)
      .filter((name) => name !== 'requests' && !name.startsWith('sqlite_'));
    return JSON.stringify(
      tables.map((name) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY 1`).all()]),
    );
  } finally {
    db.close();
  }
}

it(`answers ${TOTAL} malformed requests clearly, each with its request_id, and changes nothing stored`, async () => {
  // Something to find: a set code, a deleted one (its action attempt), both locks online.
  const device = h.deviceId(0);
  const kept = (await h.call('access_codes/create', { device_id: device, code: '482916' })).access_code
    .access_code_id;
  const gone = (await h.call('access_codes/create', { device_id: device, code: '613094' })).access_code
    .access_code_id;
  const attempt = (await h.call('access_codes/delete', { access_code_id: gone })).action_attempt
    .action_attempt_id;
  await eventually(
    async () => (await h.call('access_codes/get', { access_code_id: kept })).access_code.status === 'set',
  );
  await eventually(
    async () =>
      (await h.call('action_attempts/get', { action_attempt_id: attempt })).action_attempt.status ===
      'success',
  );
  await eventually(
    () =>
      h.bridge.store.events.backlogs().every((b) => b.undelivered === 0) &&
      h.bridge.store.retained.peek(0, 1).length === 0,
    10_000,
    'everything delivered',
  );
  const before = dumpStore();

  const cases = generate(device, kept, attempt);
  expect(cases.length).toBeGreaterThanOrEqual(10_000);
  const answers = new Map<number, ApiBody>();
  const problems: string[] = [];
  client.on('message', (topic, payload, packet) => {
    const index = packet.properties?.correlationData?.readUInt32BE(0);
    if (topic !== ANSWERS || index === undefined) return;
    try {
      answers.set(index, JSON.parse(payload.toString('utf8')));
    } catch {
      problems.push(`#${index}: the answer is not JSON`);
      answers.set(index, {});
    }
  });

  const started = Date.now();
  for (let index = 0; index < cases.length; index++) {
    while (index - answers.size >= IN_FLIGHT) await new Promise((resolve) => setTimeout(resolve, 1));
    const { route, payload } = cases[index]!;
    const correlationData = Buffer.alloc(4);
    correlationData.writeUInt32BE(index);
    client.publish(`${ROOT}/request/${route}`, payload, {
      qos: 1,
      properties: { responseTopic: ANSWERS, correlationData },
    });
  }
  await eventually(
    () => answers.size === cases.length,
    120_000,
    `all ${cases.length} answered (seed ${SEED})`,
  );
  const seconds = (Date.now() - started) / 1000;

  const byType = new Map<string, number>();
  cases.forEach((c, index) => {
    const answer = answers.get(index)!;
    const what = `#${index} ${c.route} ${c.payload.subarray(0, 80).toString()}`;
    const type = answer.ok === true ? 'ok' : answer.error?.type;
    byType.set(String(type), (byType.get(String(type)) ?? 0) + 1);
    if (typeof answer.request_id !== 'string' || answer.request_id === '')
      problems.push(`${what}: no request_id`);
    if (c.id !== undefined && answer.request_id !== c.id)
      problems.push(`${what}: request_id ${JSON.stringify(answer.request_id)}, not ${JSON.stringify(c.id)}`);
    if (answer.ok === true) {
      if (!READ_ONLY.has(c.route)) problems.push(`${what}: ok on a route that changes things`);
      return;
    }
    if (answer.ok !== false || !CLEAR_ERRORS.has(answer.error?.type))
      problems.push(`${what}: ${JSON.stringify(answer).slice(0, 200)}`);
    else if (typeof answer.error.message !== 'string' || answer.error.message.length === 0)
      problems.push(`${what}: no message`);
    else if (answer.error.request_id !== answer.request_id)
      problems.push(`${what}: error.request_id differs`);
  });
  console.log(
    `seed ${SEED}: ${cases.length} requests answered in ${seconds.toFixed(1)} s; ${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')}`,
  );
  expect(problems.slice(0, 30), `seed ${SEED}`).toEqual([]);
  expect(byType.get('internal_error') ?? 0).toBe(0);

  // Nothing stored changed; and the bridge still does its job.
  expect(dumpStore()).toBe(before);
  const created = await h.call('access_codes/create', { device_id: h.deviceId(1), code: '705112' });
  await eventually(
    async () =>
      (await h.call('access_codes/get', { access_code_id: created.access_code.access_code_id })).access_code
        .status === 'set',
  );
  expect(h.log.text).not.toContain('request failed');
  expect(h.log.text).not.toContain('request handler threw');
}, 600_000);
