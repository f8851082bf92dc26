// PINs are secrets: whatever depth our code logs them at, the captured output must not hold them,
// while the fields around them stay readable.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from '../../src/log/logger.ts';
import { showsPin } from '../helpers/pins.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  get lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

function capture(level = 'trace') {
  const out = new Capture();
  return { out, log: createLogger({ level, pretty: false, destination: out }) };
}

describe('createLogger redaction', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['top-level code', { code: '482916', device_id: 'dev-1' }, '482916'],
    ['top-level pin', { pin: '739105', device_id: 'dev-1' }, '739105'],
    ['new_code', { new_code: '604418', device_id: 'dev-1' }, '604418'],
    ['password', { password: 'hunter2-broker', device_id: 'dev-1' }, 'hunter2-broker'],
    ['params.code', { params: { code: '551203', name: 'Guest' }, device_id: 'dev-1' }, '551203'],
    ['access_code.code', { access_code: { code: '918273', name: 'Guest' }, device_id: 'dev-1' }, '918273'],
    ['two levels down', { request: { params: { code: '246813' } }, device_id: 'dev-1' }, '246813'],
    ['three levels down', { a: { b: { c: { pin: '135792' } } }, device_id: 'dev-1' }, '135792'],
    [
      'six levels down',
      { a: { b: { c: { d: { e: { f: { code: '864209' } } } } } }, device_id: 'dev-1' },
      '864209',
    ],
    ['in an array', { codes: [{ code: '102938' }, { code: '564738' }], device_id: 'dev-1' }, '564738'],
    [
      'array under an object',
      { lock: { slots: [{ slot: 3, code: '019283' }] }, device_id: 'dev-1' },
      '019283',
    ],
    ['a number PIN', { params: { code: 7654321 }, device_id: 'dev-1' }, '7654321'],
  ];

  it.each(cases)('redacts a PIN at %s and keeps the other fields', (_name, fields, secret) => {
    const { out, log } = capture();
    log.info(fields, 'access code programmed');
    expect(showsPin(out.text, secret)).toBe(false);
    expect(out.text).toContain(REDACTED);
    const [line] = out.lines;
    expect(line).toMatchObject({ device_id: 'dev-1', msg: 'access code programmed' });
  });

  it('keeps the non-secret siblings of a redacted PIN', () => {
    const { out, log } = capture();
    log.warn({ access_code: { code: '918273', name: 'Guest', slot: 4 } }, 'refused');
    expect(out.lines[0]).toMatchObject({ access_code: { code: REDACTED, name: 'Guest', slot: 4 } });
  });

  it('redacts PINs in child logger bindings', () => {
    const { out, log } = capture();
    log.child({ params: { code: '314159' }, route: 'access_codes/create' }).debug('request');
    expect(showsPin(out.text, '314159')).toBe(false);
    expect(out.lines[0]).toMatchObject({ route: 'access_codes/create', params: { code: REDACTED } });
  });

  it('does not change the object that was logged', () => {
    const { log } = capture();
    const params = { code: '271828' };
    log.info({ params }, 'request');
    expect(params.code).toBe('271828');
  });

  it('logs nothing below the level', () => {
    const { out, log } = capture('info');
    log.debug({ device_id: 'dev-1' }, 'hidden');
    log.info({ device_id: 'dev-1' }, 'shown');
    expect(out.lines.map((l) => l.msg)).toEqual(['shown']);
  });
});

describe('createLogger errors', () => {
  it('serializes err with message, stack and the error code kept as error_code', () => {
    const { out, log } = capture();
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' });
    log.error({ err: error }, 'broker unreachable');
    const err = out.lines[0]!.err as Record<string, unknown>;
    expect(err).toMatchObject({ type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:1883' });
    expect(err.stack).toEqual(expect.stringContaining('Error: connect ECONNREFUSED'));
    expect(err.error_code).toBe('ECONNREFUSED');
  });

  it('drops an error code made of digits, which could be a PIN', () => {
    const { out, log } = capture();
    log.error({ err: Object.assign(new Error('refused'), { code: '482916' }) }, 'driver refused');
    expect(showsPin(out.text, '482916')).toBe(false);
    expect(out.lines[0]!.err).toMatchObject({ message: 'refused' });
  });

  it('redacts a PIN carried by an error property', () => {
    const { out, log } = capture();
    log.error({ err: Object.assign(new Error('duplicate'), { details: { code: '665544' } }) }, 'refused');
    expect(showsPin(out.text, '665544')).toBe(false);
  });
});

describe('createLogger pretty', () => {
  it('writes readable lines synchronously, still without PINs', () => {
    const out = new Capture();
    const log = createLogger({ level: 'info', pretty: true, destination: out });
    log.info({ access_code: { code: '990011', name: 'Guest' } }, 'access code set');
    // Synchronous: the line is there as soon as info() returns.
    expect(out.text).toContain('access code set');
    expect(out.text).toContain('Guest');
    expect(showsPin(out.text, '990011')).toBe(false);
    expect(() => JSON.parse(out.text.split('\n')[0]!)).toThrow();
  });
});
