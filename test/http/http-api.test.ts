// The HTTP API as the seeds' curl lines and older SDKs use it (everything POSTed as JSON, a JSON
// body on a GET or a DELETE), its envelope and headers, the methods, the event stream with
// Last-Event-ID, and the limits. Plain HTTP here (Node's fetch and http): the SDK's flows are in
// seam-sdk.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import { type HttpEnv, startHttp } from '../helpers/http-kit.ts';
import { SseReader } from '../helpers/sse-reader.ts';

let env: HttpEnv | undefined;
const readers: SseReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  await env?.close();
  env = undefined;
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the body field by field
  body: any;
}

/** Any method with any body (curl -X GET -d '{…}' included, which fetch cannot send). */
function call(
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; key?: string | null } = {},
): Promise<Answer> {
  const { url, key } = env!;
  const headers: Record<string, string> = { ...options.headers };
  const apiKey = options.key === undefined ? key : options.key;
  if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : null }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (value: unknown) => JSON.stringify(value);

/** Writes `text` on a fresh connection to the API; everything that came back until it closed. */
function rawExchange(text: string): Promise<string> {
  const port = Number(new URL(env!.url).port);
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let reply = '';
    socket.on('data', (d) => {
      reply += d;
    });
    socket.on('close', () => resolve(reply));
  });
}

const bodyOf = (reply: string) => JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));

async function openStream(path = '/events/stream', headers: Record<string, string> = {}): Promise<SseReader> {
  const response = await fetch(`${env!.url}${path}`, {
    headers: { authorization: `Bearer ${env!.key}`, ...headers },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = new SseReader(response);
  readers.push(reader);
  return reader;
}

describe("the seeds' curl lines", () => {
  it('POST with a JSON body for every route, a JSON body on GET and on DELETE, and curl’s default form content type', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const deviceId = env.h.deviceId();
    // curl -d without a Content-Type header says application/x-www-form-urlencoded.
    const created = await call('POST', '/access_codes/create', {
      body: json({ device_id: deviceId, code: '482916', name: 'Guest' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ ok: true, access_code: { code: '482916', status: 'setting' } });
    const id = created.body.access_code.access_code_id;

    const viaPost = await call('POST', '/access_codes/get', { body: json({ access_code_id: id }) });
    expect(viaPost.body.access_code.access_code_id).toBe(id);
    const viaGetBody = await call('GET', '/access_codes/get', { body: json({ access_code_id: id }) });
    expect(viaGetBody.body.access_code.access_code_id).toBe(id);
    const updated = await call('POST', '/access_codes/update', {
      body: json({ access_code_id: id, name: 'Cleaner' }),
    });
    expect(updated.body).toEqual({ ok: true, request_id: expect.any(String) });

    const deleted = await call('DELETE', '/access_codes/delete', { body: json({ access_code_id: id }) });
    expect(deleted.status).toBe(200);
    expect(deleted.body.action_attempt).toMatchObject({ action_type: 'DELETE_ACCESS_CODE' });
    const gone = await call('POST', '/access_codes/get', { body: json({ access_code_id: id }) });
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({
      ok: false,
      error: {
        type: 'access_code_not_found',
        message: 'Could not find an access_code with device_id or access_code_id',
        data: { access_code_id: id },
        request_id: gone.body.request_id,
      },
      request_id: gone.body.request_id,
    });
    expect(gone.headers['seam-request-id']).toBe(gone.body.request_id);
  });

  it('a request_id in the body (or an Idempotency-Key) is answered once, like MQTT’s', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const params = { device_id: env.h.deviceId(), code: '482916', request_id: 'create-guest-7' };
    const first = await call('POST', '/access_codes/create', { body: json(params) });
    const again = await call('POST', '/access_codes/create', { body: json(params) });
    expect(again.body).toEqual(first.body);
    expect(first.headers['seam-request-id']).toBe('create-guest-7');
    const conflicting = await call('POST', '/access_codes/create', {
      body: json(params),
      headers: { 'idempotency-key': 'another-id' },
    });
    expect(conflicting.status).toBe(400);
    expect(conflicting.body.error.validation_errors.request_id._errors[0]).toMatch(/Idempotency-Key/);
    const list = await call('GET', `/access_codes/list?device_id=${env.h.deviceId()}`);
    expect(list.body.access_codes).toHaveLength(1);
  });

  it('query parameters typed by the route: numbers, repeated keys, _strict; unknown ones named', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const deviceId = env.h.deviceId();
    for (const code of ['482916', '613094', '750128']) {
      await call('POST', '/access_codes/create', { body: json({ device_id: deviceId, code }) });
    }
    const since = new Date(Date.now() - 60_000).toISOString();
    const limited = await call(
      'GET',
      `/events/list?since=${since}&limit=2&event_types=access_code.created&event_types=device.connected&_strict=true`,
    );
    expect(limited.status).toBe(200);
    expect(limited.body.events).toHaveLength(2);
    const unknown = await call('GET', `/devices/list?colour=red`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.type).toBe('invalid_input');
    expect(JSON.stringify(unknown.body.error)).toContain('colour');
    const notANumber = await call('GET', `/events/list?since=${since}&limit=many`);
    expect(notANumber.body.error.validation_errors.limit._errors.length).toBeGreaterThan(0);
  });
});

describe('methods, keys and limits', () => {
  it('a GET never changes anything (405 with Allow), a read route takes GET and POST', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const refused = await call('GET', `/access_codes/create?device_id=${env.h.deviceId()}&code=482916`);
    expect(refused.status).toBe(405);
    expect(refused.headers.allow).toBe('POST, PUT, PATCH, DELETE');
    expect(refused.body.error.type).toBe('method_not_allowed');
    expect((await call('PUT', '/devices/list')).status).toBe(405);
    expect((await call('POST', '/devices/list')).status).toBe(200);
    expect(env.h.bridge.store.codes.liveForDevice(env.h.deviceId())).toHaveLength(0);
  });

  it('401 without a key or with a wrong one; answers are never cached', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const none = await call('GET', '/devices/list', { key: null });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.body.error).toMatchObject({
      type: 'unauthorized',
      message: expect.stringMatching(/api-key create/),
    });
    expect(
      (await call('GET', '/devices/list', { key: 'seam_12345678_wrongwrongwrongwrongwrong' })).status,
    ).toBe(401);
    const ok = await call('GET', '/devices/list');
    expect(ok.headers['cache-control']).toBe('no-store');
  });

  it('an address sending wrong keys is refused for a while; a key already good still works from it', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    expect((await call('GET', '/devices/list')).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push(
        (await call('GET', '/devices/list', { key: `seam_0000000${i % 10}_wrongwrongwrongwrongwrong` }))
          .status,
      );
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Even the right key of a key not yet checked waits; the checked one passes.
    const fresh = env.h.bridge.apiKeys.create('fresh').key;
    expect((await call('GET', '/devices/list', { key: fresh })).status).toBe(429);
    expect((await call('GET', '/devices/list')).status).toBe(200);
    expect(env.h.log.text.split('wrong API keys from this address').length - 1).toBe(1);
  });

  it('413 for a body over the limit (declared or chunked), and the connection is closed', async () => {
    env = await startHttp([{ name: 'Front door' }], { yaml: 'http: { max_body_bytes: 2048 }' });
    const big = json({ device_id: env.h.deviceId(), name: 'x'.repeat(4000) });
    const declared = await call('POST', '/access_codes/create', { body: big });
    expect(declared.status).toBe(413);
    expect(declared.body.error).toMatchObject({
      type: 'invalid_input',
      message: 'The body is larger than 2048 bytes.',
    });
    const chunked = await fetch(`${env.url}/access_codes/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(env.h.bridge.store.codes.liveForDevice(env.h.deviceId())).toHaveLength(0);
  });

  it('what is not HTTP at all gets a JSON 400 and a closed connection', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const reply = await rawExchange('HELLO THERE\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(bodyOf(reply).error.type).toBe('invalid_input');
  });

  it('a request that does not arrive in time (slow headers, a body that stops) gets a JSON 408', async () => {
    env = await startHttp([{ name: 'Front door' }], { yaml: 'http: { request_timeout_s: 1 }' });
    for (const partial of [
      'GET /devices/list HTTP/1.1\r\nHost: x\r\n',
      `POST /devices/list HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${env.key}\r\nContent-Length: 10\r\n\r\n{`,
    ]) {
      const reply = await rawExchange(partial);
      expect(reply).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
      expect(bodyOf(reply).error.type).toBe('request_timeout');
    }
    expect((await call('GET', '/devices/list')).status).toBe(200);
  });

  it('serves HTTPS with the configured certificate and key', async () => {
    // Debian's openssl (.ci/run installs it) makes a certificate for 127.0.0.1, valid for a day.
    const dir = mkdtempSync(join(tmpdir(), 'lockbridge-tls-'));
    try {
      const [cert, key] = [join(dir, 'hub.crt'), join(dir, 'hub.key')];
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
          '-subj',
          '/CN=hub',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      env = await startHttp([{ name: 'Front door' }], {
        yaml: JSON.stringify({ http: { tls: { cert_file: cert, key_file: key } } }),
      });
      expect(env.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpsRequest(
          `${env!.url}/devices/list`,
          { headers: { authorization: `Bearer ${env!.key}` }, ca: readFileSync(cert) },
          (res) => {
            let body = '';
            res.on('data', (d) => {
              body += d;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).devices).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with http.auth false (loopback only) no key is asked for', async () => {
    env = await startHttp([{ name: 'Front door' }], { yaml: 'http: { auth: false }' });
    expect((await call('GET', '/devices/list', { key: null })).status).toBe(200);
  });
});

describe('GET /events/stream', () => {
  it('streams new events with their log position as id, and resumes from Last-Event-ID', async () => {
    env = await startHttp([{ name: 'Front door' }]);
    const deviceId = env.h.deviceId();
    const stream = await openStream('/events/stream?event_types=access_code.created');
    await call('POST', '/access_codes/create', { body: json({ device_id: deviceId, code: '482916' }) });
    const [first] = await stream.until(1);
    expect(JSON.parse(first!.data)).toMatchObject({ event_type: 'access_code.created', device_id: deviceId });
    await stream.close();

    // Missed while away: a reconnect with Last-Event-ID gets them first, oldest first.
    const missed: string[] = [];
    for (const code of ['613094', '750128']) {
      const created = await call('POST', '/access_codes/create', {
        body: json({ device_id: deviceId, code }),
      });
      missed.push(created.body.access_code.access_code_id);
    }
    const resumed = await openStream('/events/stream?event_types=access_code.created', {
      'last-event-id': first!.id!,
    });
    const again = await resumed.until(2);
    expect(again.map((m) => JSON.parse(m.data).access_code_id)).toEqual(missed);
    expect(Number(again[0]!.id)).toBeGreaterThan(Number(first!.id));
  });

  it('a stream whose key is revoked ends at its next keep-alive', async () => {
    env = await startHttp([{ name: 'Front door' }], { yaml: 'http: { stream_keepalive_s: 0.2 }' });
    const response = await fetch(`${env.url}/events/stream`, {
      headers: { authorization: `Bearer ${env.key}` },
    });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('retry:');
    env.h.bridge.apiKeys.revoke(env.key);
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).not.toContain('data:');
  });

  it('at most http.max_streams at once (503), and a bad Last-Event-ID is invalid_input', async () => {
    env = await startHttp([{ name: 'Front door' }], { yaml: 'http: { max_streams: 1 }' });
    await openStream();
    const second = await call('GET', '/events/stream');
    expect(second.status).toBe(503);
    expect(second.body.error.type).toBe('too_many_streams');
    await readers.splice(0)[0]!.close();
    await eventually(
      async () => {
        const r = await fetch(`${env!.url}/events/stream`, {
          headers: { authorization: `Bearer ${env!.key}`, 'last-event-id': 'yesterday' },
        });
        return r.status === 400;
      },
      5000,
      'the stream slot freed and the bad id refused',
    );
  });
});
