// Bad input over HTTP, fuzzed: 10,000 malformed requests (bad JSON, wrong types, bad queries, bad
// methods, bad keys, oversize bodies, unknown routes, bytes that are not UTF-8, requests that are
// not HTTP). Each gets a clear error in the API's envelope, the daemon keeps running, and nothing
// stored changes. Seeded, so a failure can be replayed.
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/core/events.ts';
import { STORE_FILE } from '../../src/store/database.ts';
import { eventually } from '../helpers/api-client.ts';
import { type HttpEnv, startHttp } from '../helpers/http-kit.ts';

const REQUESTS = 10_000;
const RAW_SOCKETS = 200;
const CONCURRENCY = 16;

let env: HttpEnv;
let deviceId: string;
let keptId: string;
beforeAll(async () => {
  env = await startHttp([{ name: 'Front door' }], {
    yaml: 'http: { rate_limit_per_minute: 10000000, rate_limit_burst: 1000000, max_body_bytes: 8192 }',
  });
  deviceId = env.h.deviceId();
  const created = await env.seam.accessCodes.create({ device_id: deviceId, code: '482916', name: 'Kept' });
  keptId = created.access_code_id;
  // The lock confirms it before the snapshot is taken.
  await eventually(
    async () => (await env.seam.accessCodes.get({ access_code_id: keptId })).status === 'set',
    5000,
    'set',
  );
});
afterAll(async () => env.close());

/** Every table that holds state (not the request memory, which remembers refusals by request_id). */
function snapshot(): string {
  const db = new DatabaseSync(join(env.h.dataDir, STORE_FILE), { readOnly: true });
  try {
    const tables = [
      'devices',
      'access_codes',
      'slots',
      'unmanaged_codes',
      'action_attempts',
      'events',
      'api_keys',
    ];
    return JSON.stringify(
      tables.map((t) =>
        db
          .prepare(`SELECT * FROM ${t} ORDER BY 1`)
          .all()
          .map((row) => ({ ...row, last_used_at: undefined })),
      ),
    );
  } finally {
    db.close();
  }
}

/** mulberry32: small, seeded, good enough to pick cases. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const ROUTES = [
  'access_codes/create',
  'access_codes/get',
  'access_codes/list',
  'access_codes/update',
  'access_codes/delete',
  'access_codes/unmanaged/list',
  'access_codes/unmanaged/get',
  'access_codes/unmanaged/convert_to_managed',
  'access_codes/unmanaged/delete',
  'action_attempts/get',
  'devices/get',
  'locks/lock_door',
  'locks/unlock_door',
  'events/list',
];
const FIELDS = [
  'device_id',
  'access_code_id',
  'code',
  'name',
  'starts_at',
  'ends_at',
  'type',
  'since',
  'limit',
];

function makeCases(random: () => number): Case[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const junkString = () => {
    const n = Math.floor(random() * 40);
    return Array.from({ length: n }, () => String.fromCharCode(Math.floor(random() * 0x2fff))).join('');
  };
  // What a header may carry at all (Node refuses to send anything else): latin-1 without controls.
  const junkHeader = () =>
    Array.from({ length: Math.floor(random() * 60) + 1 }, () =>
      String.fromCharCode(0x21 + Math.floor(random() * 0xde)),
    )
      .join('')
      .replace(/[\x7f]/g, '~');
  const junkValue = (): unknown =>
    pick([
      () => Math.floor(random() * 1e9) - 5e8,
      () => random() < 0.5,
      () => null,
      () => [junkString(), 1, null],
      () => ({ nested: { deeper: junkString() } }),
      () => junkString(),
      () => 'x'.repeat(300),
      () => '2025-13-45T99:99:99Z',
      () => '',
      () => '1'.repeat(40),
    ])();
  const auth = { authorization: `Bearer ${env.key}` };
  const jsonHeaders = { ...auth, 'content-type': 'application/json' };
  const route = () => pick(ROUTES);
  // A real device with something certainly invalid, so that no case can succeed.
  const badParams = (): Record<string, unknown> => {
    const params: Record<string, unknown> = { [pick(FIELDS)]: junkValue(), [pick(FIELDS)]: junkValue() };
    if (random() < 0.3) params.device_id = deviceId;
    if (random() < 0.3) params.access_code_id = keptId;
    params[`unknown_${Math.floor(random() * 5)}`] = junkValue();
    return params;
  };
  const makers: Array<() => Case> = [
    // Bytes that are not JSON, or not UTF-8.
    () => ({
      method: 'POST',
      path: `/${route()}`,
      headers: jsonHeaders,
      body: Buffer.from(
        Array.from({ length: Math.floor(random() * 200) + 1 }, () => Math.floor(random() * 256)),
      ),
    }),
    // JSON cut short.
    () => {
      const text = JSON.stringify(badParams());
      return {
        method: 'POST',
        path: `/${route()}`,
        headers: jsonHeaders,
        body: Buffer.from(text.slice(0, -1 - Math.floor(random() * 5))),
      };
    },
    // JSON values that are not objects.
    () => ({
      method: 'POST',
      path: `/${route()}`,
      headers: jsonHeaders,
      body: Buffer.from(pick(['[]', '1', '"x"', 'null', 'true', '[{}]'])),
    }),
    // Objects with wrong types and unknown keys.
    () => ({
      method: 'POST',
      path: `/${route()}`,
      headers: jsonHeaders,
      body: Buffer.from(JSON.stringify(badParams())),
    }),
    // The same as query parameters, with junk keys and encodings.
    () => {
      const query = Object.entries(badParams())
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .concat(
          pick([
            '%zz=1',
            '__proto__=1',
            'constructor.prototype.x=1',
            'a[]=&a[]=',
            '_strict=true',
            '=',
            '&&&',
            'limit=1e999',
          ]),
        )
        .join('&');
      const readRoute = pick([
        'access_codes/get',
        'access_codes/list',
        'devices/get',
        'events/list',
        'action_attempts/get',
        'access_codes/unmanaged/list',
      ]);
      return { method: 'GET', path: `/${readRoute}?${query}`, headers: auth };
    },
    // Methods a route does not take.
    () => ({
      method: pick(['GET', 'OPTIONS', 'HEAD']),
      path: `/${pick(ROUTES.filter((r) => !r.includes('get') && !r.includes('list')))}?device_id=${deviceId}`,
      headers: auth,
    }),
    // Keys that are missing, malformed or wrong (one address: soon refused with 429).
    () => ({
      method: 'POST',
      path: `/${route()}`,
      headers: {
        'content-type': 'application/json',
        ...pick<Record<string, string>>([
          {},
          { authorization: 'Basic abc' },
          { authorization: 'Bearer' },
          { authorization: `Bearer ${junkHeader()}` },
          { authorization: 'Bearer seam_12345678_wrongwrongwrongwrongwrong' },
        ]),
      },
      body: Buffer.from(JSON.stringify({ device_id: deviceId, code: '135790' })),
    }),
    // Bodies over the limit.
    () => ({
      method: 'POST',
      path: `/${route()}`,
      headers: jsonHeaders,
      body: Buffer.from(JSON.stringify({ name: 'x'.repeat(9000 + Math.floor(random() * 5000)) })),
    }),
    // Routes that do not exist.
    () => ({
      method: 'POST',
      path: pick([
        '/',
        '/..%2f..%2fetc/passwd',
        '/access_codes',
        '/access_codes/create/extra',
        '/toString',
        '/__proto__',
        '//devices//list//x',
        `/${junkString().replace(/[^a-z/]/g, '')}x`,
      ]),
      headers: jsonHeaders,
      body: Buffer.from('{}'),
    }),
    // Idempotency keys too long, and stream filters that are wrong.
    () => ({
      method: 'POST',
      path: '/access_codes/create',
      headers: { ...jsonHeaders, 'idempotency-key': 'k'.repeat(129 + Math.floor(random() * 100)) },
      body: Buffer.from(JSON.stringify({ device_id: deviceId, code: '24680' })),
    }),
    () => ({
      method: 'GET',
      path: `/events/stream?${pick([`event_types=${pick(EVENT_TYPES)}x`, 'colour=red', 'last_event_id=-1', 'last_event_id=1e5'])}`,
      headers: auth,
    }),
  ];
  return Array.from({ length: REQUESTS }, () => pick(makers)());
}

interface Outcome {
  status: number;
  contentType: string;
  body: string;
}

function send(agent: Agent, c: Case): Promise<Outcome> {
  const { url } = env;
  return new Promise((resolve, reject) => {
    const headers = { ...c.headers, ...(c.body ? { 'content-length': String(c.body.length) } : {}) };
    const req = request(`${url}${c.path}`, { method: c.method, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(c.body);
  });
}

/** Bytes that are not an HTTP request, each on its own connection: the answer and the close. */
function rawGarbage(random: () => number): Promise<string> {
  const port = Number(new URL(env.url).port);
  const samples = [
    'GET / HTTP/9.9\r\n\r\n',
    'NOT A REQUEST\r\n\r\n',
    `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    'POST /devices/list HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
    'POST /devices/list HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    `GET /devices/list HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(40_000)}\r\n\r\n`,
    '\u0000\u0001\u0002\r\n\r\n',
  ];
  const text = samples[Math.floor(random() * samples.length)]!;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let reply = '';
    socket.on('data', (d) => {
      reply += d;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(reply));
  });
}

it(`answers ${REQUESTS} malformed requests with clear errors, keeps running, changes nothing stored`, async () => {
  const before = snapshot();
  const random = rng(20_250_611);
  const cases = makeCases(random);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statuses = new Map<number, number>();
  const unclear: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const outcome = await send(agent, c);
      statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
      let error: { type?: unknown; message?: unknown } | undefined;
      try {
        error = JSON.parse(outcome.body).error;
      } catch {
        error = undefined;
      }
      const clear =
        outcome.status >= 400 &&
        outcome.status < 500 &&
        outcome.contentType.startsWith('application/json') &&
        typeof error?.type === 'string' &&
        typeof error.message === 'string' &&
        error.message.length > 0;
      // HEAD answers carry no body by definition: the status says it.
      if (!clear && !(c.method === 'HEAD' && outcome.status === 405)) {
        unclear.push(`${c.method} ${c.path.slice(0, 80)} → ${outcome.status} ${outcome.body.slice(0, 120)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();

  const raw = await Promise.all(Array.from({ length: RAW_SOCKETS }, () => rawGarbage(random)));
  for (const reply of raw) {
    expect(reply).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).error.message).toBeTruthy();
  }

  expect(unclear.slice(0, 20)).toEqual([]);
  // Each kind of refusal was met (the fuzzer reached past the key check and the body limit).
  for (const status of [400, 401, 404, 405, 413, 429])
    expect(statuses.get(status) ?? 0, `HTTP ${status}`).toBeGreaterThan(0);
  expect(snapshot()).toBe(before);
  // Still up and still right.
  const kept = await env.seam.accessCodes.get({ access_code_id: keptId });
  expect(kept).toMatchObject({ code: '482916', name: 'Kept', status: 'set' });
  expect(await env.seam.devices.list()).toHaveLength(1);
});
