// request_id: compared exactly (lone surrogates and U+FFFD are different ids), echoed on every
// answer (a payload over 64 KiB too, when the id comes early), and a stored answer is never
// replaced by a later refusal with the same id.
import { afterEach, describe, expect, it } from 'vitest';
import { leadingRequestId } from '../../src/api/payload.ts';
import type { ApiBody } from '../helpers/api-client.ts';
import { type Harness, releaseAll, startedHarness } from '../helpers/bridge-harness.ts';

const harnesses: Harness[] = [];
afterEach(() => releaseAll(harnesses));

const started = () => startedHarness(harnesses);

/** Sends the payload exactly as written (JSON escapes included), as a client's bytes would arrive. */
const raw = (h: Harness, route: string, payload: string | Buffer): Promise<ApiBody> =>
  h.bridge.api(route, Buffer.isBuffer(payload) ? payload : Buffer.from(payload), {
    generatedRequestId: 'generated-id',
  });

const codeCount = (h: Harness) => h.bridge.store.codes.forDevice(h.deviceId()).length;

describe('request ids compare exactly', () => {
  it('the issue’s repro: a create with "r\\udc00" after a list with "r\\ud800" is run, not answered from the list', async () => {
    const h = await started();
    const list = await raw(h, 'devices/list', '{"request_id":"r\\ud800"}');
    expect(list.ok).toBe(true);
    expect(list.request_id).toBe('r\ud800');

    const create = await raw(
      h,
      'access_codes/create',
      `{"request_id":"r\\udc00","device_id":"${h.deviceId()}","code":"482916"}`,
    );
    expect(create).toMatchObject({ ok: true, request_id: 'r\udc00' });
    expect(create.access_code.code).toBe('482916');
    expect(codeCount(h)).toBe(1);
  });

  it('a lone surrogate, U+FFFD and a well-formed id around them are four different ids, each echoed', async () => {
    const h = await started();
    const ids = ['x\\ud800', 'x\\udc00', 'x\\ufffd', 'x\uFFFD\uFFFD'];
    const echoed: string[] = [];
    for (const [index, id] of ids.entries()) {
      const answer = await raw(
        h,
        'access_codes/create',
        `{"request_id":"${id}","device_id":"${h.deviceId()}","code":"${4000 + index}"}`,
      );
      expect(answer.ok, id).toBe(true);
      echoed.push(answer.request_id);
    }
    expect(echoed).toEqual(['x\ud800', 'x\udc00', 'x\ufffd', 'x\uFFFD\uFFFD']);
    expect(codeCount(h)).toBe(4);
    // And each is remembered under its own id: sent again, each gets its own answer back.
    const again = await raw(
      h,
      'access_codes/create',
      `{"request_id":"x\\udc00","device_id":"${h.deviceId()}","code":"4001"}`,
    );
    expect(again.request_id).toBe('x\udc00');
    expect(again.access_code.code).toBe('4001');
    expect(codeCount(h)).toBe(4);
  });

  it('a payload that is not UTF-8 is refused, with a generated id rather than one with replacement characters', async () => {
    const h = await started();
    const payload = Buffer.concat([Buffer.from('{"request_id":"r'), Buffer.from([0xff]), Buffer.from('"}')]);
    const answer = await raw(h, 'devices/list', payload);
    expect(answer).toMatchObject({ ok: false, request_id: 'generated-id', error: { type: 'invalid_input' } });
    expect(answer.error.message).toMatch(/UTF-8/);
    // Nothing was remembered under the id the bytes would decode to with a replacement character.
    const other = await raw(h, 'devices/list', '{"request_id":"r\\ufffd"}');
    expect(other).toMatchObject({ ok: true, request_id: 'r\ufffd' });
  });

  it('a stored answer is not replaced by a later refusal with the same id', async () => {
    const h = await started();
    const first = await raw(
      h,
      'access_codes/create',
      `{"request_id":"same","device_id":"${h.deviceId()}","code":"482916"}`,
    );
    expect(first.ok).toBe(true);
    const refused = await raw(h, 'access_codes/explode', '{"request_id":"same"}');
    expect(refused.error.type).toBe('unknown_route');
    const redelivered = await raw(
      h,
      'access_codes/create',
      `{"request_id":"same","device_id":"${h.deviceId()}","code":"482916"}`,
    );
    expect(redelivered).toEqual(first);
  });
});

describe('a payload over 64 KiB', () => {
  const filler = 'a'.repeat(70 * 1024);

  it('is refused with the request_id read from its start', async () => {
    const h = await started();
    const payload = `{"device_id":"${h.deviceId()}","nested":{"request_id":"not-this"},"request_id":"big-1","name":"${filler}"}`;
    const answer = await raw(h, 'access_codes/create', payload);
    expect(answer).toMatchObject({
      ok: false,
      request_id: 'big-1',
      error: { type: 'invalid_input', request_id: 'big-1' },
    });
    expect(answer.error.message).toMatch(/larger than 65536 bytes/);
    expect(codeCount(h)).toBe(0);
  });

  it('gets a generated id when its request_id comes after the first 64 KiB, or is not a string', async () => {
    const h = await started();
    const late = await raw(h, 'access_codes/create', `{"name":"${filler}","request_id":"late"}`);
    expect(late.request_id).toBe('generated-id');
    const numeric = await raw(h, 'access_codes/create', `{"request_id":5,"name":"${filler}"}`);
    expect(numeric.request_id).toBe('generated-id');
  });
});

describe('leadingRequestId', () => {
  it('reads top-level members only, skipping nesting of any depth', () => {
    expect(leadingRequestId('{"request_id":"a"}')).toBe('a');
    expect(leadingRequestId(' { "x" : [1,{"request_id":"no"}], "request_id" : "b\\u00e9" , "y": ')).toBe(
      'bé',
    );
    expect(leadingRequestId(`{"deep":${'['.repeat(100_000)}`)).toBeUndefined();
    expect(leadingRequestId(`{"deep":${'['.repeat(50_000)}${']'.repeat(50_000)},"request_id":"c"}`)).toBe(
      'c',
    );
    expect(leadingRequestId('{"s":"a \\" quote","request_id":"d"}')).toBe('d');
    expect(leadingRequestId('{"request_id":"e","request_id":"f"}')).toBe('f'); // as JSON.parse
    expect(leadingRequestId('{"request_id":"unterminated')).toBeUndefined();
    expect(leadingRequestId('["request_id","g"]')).toBeUndefined();
    expect(leadingRequestId('')).toBeUndefined();
  });
});
