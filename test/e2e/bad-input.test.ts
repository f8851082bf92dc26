// Bad input over MQTT: a clear error each time, the bridge keeps running, nothing stored is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2e, startE2e } from './e2e-kit.ts';

let env: E2e;
let keptId: string;
beforeAll(async () => {
  env = await startE2e([{ name: 'Front door' }]);
  const created = await env.api.request('access_codes/create', {
    device_id: env.h.deviceId(),
    code: '482916',
  });
  keptId = created.access_code.access_code_id;
});
afterAll(async () => {
  await env.close();
});

describe('bad input', () => {
  it('bad JSON', async () => {
    const answer = await env.api.rawRequest('access_codes/create', '{"device_id": ');
    expect(answer).toMatchObject({ ok: false, error: { type: 'invalid_input' } });
    expect(answer.error.message).toMatch(/JSON/);
  });

  it('a JSON value that is not an object', async () => {
    const answer = await env.api.rawRequest('access_codes/list', '[1,2]');
    expect(answer.error.type).toBe('invalid_input');
  });

  it('a missing field, with zod’s error tree naming it', async () => {
    const answer = await env.api.request('access_codes/create', { code: '1234' });
    expect(answer.error.type).toBe('invalid_input');
    expect(answer.error.validation_errors).toMatchObject({
      _errors: [],
      device_id: { _errors: ['Required'] },
    });
  });

  it('a mistyped field', async () => {
    const answer = await env.api.request('access_codes/create', { device_id: env.h.deviceId(), code: 1234 });
    expect(answer.error.type).toBe('invalid_input');
    expect(answer.error.validation_errors.code._errors.length).toBeGreaterThan(0);
  });

  it('an unknown parameter', async () => {
    const answer = await env.api.request('access_codes/get', { access_code_id: keptId, colour: 'red' });
    expect(answer.error.type).toBe('invalid_input');
  });

  it('a code that breaks the lock’s constraints', async () => {
    const answer = await env.api.request('access_codes/create', { device_id: env.h.deviceId(), code: '12' });
    expect(answer.error.type).toBe('invalid_input');
    expect(answer.error.validation_errors.code._errors[0]).toMatch(/between 4 and 8/);
  });

  it('a window with ends_at before starts_at, and one in the past', async () => {
    const now = Date.now();
    const reversed = await env.api.request('access_codes/create', {
      device_id: env.h.deviceId(),
      starts_at: new Date(now + 7200_000).toISOString(),
      ends_at: new Date(now + 3600_000).toISOString(),
    });
    expect(reversed.error.validation_errors.ends_at._errors[0]).toMatch(/after starts_at/);
    const past = await env.api.request('access_codes/create', {
      device_id: env.h.deviceId(),
      starts_at: new Date(now - 7200_000).toISOString(),
      ends_at: new Date(now - 3600_000).toISOString(),
    });
    expect(past.error.validation_errors.ends_at._errors[0]).toMatch(/future/);
    const noZone = await env.api.request('access_codes/create', {
      device_id: env.h.deviceId(),
      starts_at: '2027-01-01T10:00:00',
      ends_at: '2027-01-02T10:00:00',
    });
    expect(noZone.error.type).toBe('invalid_input');
  });

  it('an unknown route', async () => {
    const answer = await env.api.rawRequest('access_codes/explode', '{}');
    expect(answer.error.type).toBe('unknown_route');
  });

  it('an unknown route is answered with the client’s request_id, so the client can match it', async () => {
    const answer = await env.api.request('access_codes/explode', { request_id: 'r-unknown-1' });
    expect(answer).toMatchObject({
      ok: false,
      request_id: 'r-unknown-1',
      error: { type: 'unknown_route', request_id: 'r-unknown-1' },
    });
  });

  it('routes named like Object.prototype members are unknown routes, not internal errors', async () => {
    for (const route of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__']) {
      const answer = await env.api.request(route, { request_id: `r-${route}` });
      expect(answer, route).toMatchObject({ ok: false, error: { type: 'unknown_route' } });
    }
  });

  it('a 1 MiB payload', async () => {
    const answer = await env.api.rawRequest('access_codes/create', Buffer.alloc(1024 * 1024, 'a'));
    expect(answer.error.type).toBe('invalid_input');
    expect(answer.error.message).toMatch(/larger than 65536 bytes/);
  });

  it('keeps running with everything it stored', async () => {
    const answer = await env.api.request('access_codes/get', { access_code_id: keptId });
    expect(answer.ok).toBe(true);
    expect(answer.access_code.code).toBe('482916');
    expect(
      (await env.api.request('access_codes/list', { device_id: env.h.deviceId() })).access_codes,
    ).toHaveLength(1);
  });
});
