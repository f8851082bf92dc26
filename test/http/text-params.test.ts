// Query-string parameters typed by the route's own schema (what SDK 2.x sends on GET and DELETE).
import { describe, expect, it } from 'vitest';
import { paramsFromText } from '../../src/api/text-params.ts';

const q = (text: string) => new URLSearchParams(text);

describe('paramsFromText', () => {
  it('makes a list of an array field, even of one value, and of an empty value an empty list', () => {
    expect(paramsFromText('access_codes/list', q('access_code_ids=a'))).toEqual({ access_code_ids: ['a'] });
    expect(paramsFromText('access_codes/list', q('access_code_ids=a&access_code_ids=b'))).toEqual({
      access_code_ids: ['a', 'b'],
    });
    expect(paramsFromText('access_codes/list', q('access_code_ids[]=a&access_code_ids[]=b'))).toEqual({
      access_code_ids: ['a', 'b'],
    });
    expect(paramsFromText('access_codes/list', q('access_code_ids='))).toEqual({ access_code_ids: [] });
  });

  it('reads numbers and booleans where the schema has them, and leaves text it cannot read for the schema', () => {
    expect(paramsFromText('events/list', q('since=2025-01-01T00:00:00Z&limit=20'))).toEqual({
      since: '2025-01-01T00:00:00Z',
      limit: 20,
    });
    expect(paramsFromText('events/list', q('limit=twenty'))).toEqual({ limit: 'twenty' });
    expect(paramsFromText('events/list', q('limit='))).toEqual({ limit: '' });
    expect(
      paramsFromText('access_codes/create', q('is_one_time_use=true&prefer_native_scheduling=false')),
    ).toEqual({
      is_one_time_use: true,
      prefer_native_scheduling: false,
    });
    expect(paramsFromText('access_codes/create', q('is_one_time_use=yes'))).toEqual({
      is_one_time_use: 'yes',
    });
  });

  it('an empty value of a nullable field is null; _strict is dropped; unknown keys stay as they came', () => {
    expect(paramsFromText('access_codes/update', q('access_code_id=x&name=&_strict=true'))).toEqual({
      access_code_id: 'x',
      name: null,
    });
    expect(paramsFromText('devices/list', q('colour=red&colour=blue&a.b=1'))).toEqual({
      colour: ['red', 'blue'],
      a: { b: '1' },
    });
    expect(Object.getPrototypeOf(paramsFromText('devices/list', q('__proto__.polluted=1')))).toBe(
      Object.prototype,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
