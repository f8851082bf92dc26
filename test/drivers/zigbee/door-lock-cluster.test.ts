// The Door Lock cluster mapping alone: user numbering, PINs, readings, what notifications mean,
// battery units; Zigbee local time; the quirk table; herdsman's log scrubbed of PINs.
import { describe, expect, it } from 'vitest';
import {
  batteryLevel,
  lockStateOf,
  operationOf,
  pinBytes,
  pinText,
  programmingOf,
  readingOfPinCode,
  slotOf,
  userIdOf,
} from '../../../drivers/zigbee/door-lock-cluster.ts';
import { herdsmanReason, scrubHerdsman } from '../../../drivers/zigbee/herdsman.ts';
import { DEFAULT_QUIRKS, quirksFor } from '../../../drivers/zigbee/quirks.ts';
import { decodeDoorLockFrame } from '../../../drivers/zigbee/zcl-decode.ts';
import { fromZigbeeLocal, lockWindow, zigbeeWindow } from '../../../drivers/zigbee/zigbee-time.ts';

const ZCL_0 = { base: 0, slot_count: 250 };
const FROM_1 = { base: 1, slot_count: 1000 };

describe('bridge slots and the lock user ids', () => {
  it('slot 1 is user 0 on a ZCL lock and user 1 on a lock that numbers from 1, both ways', () => {
    expect(userIdOf(1, ZCL_0)).toBe(0);
    expect(userIdOf(250, ZCL_0)).toBe(249);
    expect(userIdOf(1, FROM_1)).toBe(1);
    expect(slotOf(0, ZCL_0)).toBe(1);
    expect(slotOf(249, ZCL_0)).toBe(250);
    expect(slotOf(1, FROM_1)).toBe(1);
  });

  it('a user id out of the slots, 0xFFFF (decoded as NaN) or a fraction is no slot', () => {
    expect(slotOf(250, ZCL_0)).toBeNull();
    expect(slotOf(0, FROM_1)).toBeNull();
    expect(slotOf(Number.NaN, ZCL_0)).toBeNull();
    expect(slotOf(0xffff, ZCL_0)).toBeNull();
    expect(slotOf(1.5, ZCL_0)).toBeNull();
    expect(slotOf(undefined, ZCL_0)).toBeNull();
  });
});

describe('PINs', () => {
  it('go out as ASCII digits, leading zeros kept, never as numbers', () => {
    expect([...pinBytes('0042')]).toEqual([0x30, 0x30, 0x34, 0x32]);
    expect(pinText(Buffer.from('0042'))).toBe('0042');
  });

  it('an empty or unprintable octet string is no PIN', () => {
    expect(pinText(Buffer.alloc(0))).toBeNull();
    expect(pinText(Buffer.from([0xff, 0x00]))).toBeNull();
    expect(pinText('1234')).toBeNull();
  });
});

describe('getPinCode answers as readings', () => {
  const answer = (userstatus: number, pin: string, usertype = 0) => ({
    userid: 4,
    userstatus,
    usertype,
    pincodevalue: Buffer.from(pin),
  });

  it('available is empty; enabled and disabled users are occupied with their PIN', () => {
    expect(readingOfPinCode(5, answer(0, ''), true).reading).toEqual({
      slot: 5,
      state: 'empty',
      code: null,
      origin: 'unknown',
      schedule: null,
    });
    expect(readingOfPinCode(5, answer(1, '4821'), true).reading).toMatchObject({
      state: 'enabled',
      code: '4821',
    });
    expect(readingOfPinCode(5, answer(3, '4821'), true).reading).toMatchObject({
      state: 'disabled',
      code: '4821',
    });
  });

  it('an occupied user without its PIN says the lock masks PINs; a lock that cannot read gives no code', () => {
    expect(readingOfPinCode(5, answer(1, ''), true)).toMatchObject({
      reading: { state: 'enabled', code: null },
      masked: true,
    });
    expect(readingOfPinCode(5, answer(1, '4821'), false)).toMatchObject({
      reading: { code: null },
      masked: false,
    });
  });

  it('user status 0xFF (NaN): the PIN decides', () => {
    expect(readingOfPinCode(5, answer(Number.NaN, '4821'), true).reading.state).toBe('enabled');
    expect(readingOfPinCode(5, answer(Number.NaN, ''), true).reading.state).toBe('empty');
  });
});

describe('operation events', () => {
  const op = (opereventsrc: number, opereventcode: number, userid: number) =>
    operationOf({ opereventsrc, opereventcode, userid }, ZCL_0);

  it('a keypad unlock with a user is that slot used', () => {
    expect(op(0, 2, 3)).toEqual({ kind: 'code_used', slot: 4, result: 'unlocked' });
  });

  it('a PIN no user holds is a wrong code; a known user refused is disabled or outside its schedule', () => {
    expect(op(0, 5, Number.NaN)).toEqual({ kind: 'wrong_code' });
    expect(op(0, 3, Number.NaN)).toEqual({ kind: 'wrong_code' });
    expect(op(0, 5, 3)).toEqual({ kind: 'code_used', slot: 4, result: 'rejected_disabled' });
    expect(op(0, 6, 3)).toEqual({ kind: 'code_used', slot: 4, result: 'rejected_schedule' });
  });

  it('bolt movements by source: keypad, RF (the host), manual, key, auto', () => {
    expect(op(0, 1, Number.NaN)).toEqual({
      kind: 'lock_state',
      state: 'locked',
      source: 'keypad',
      slot: null,
    });
    expect(op(1, 2, Number.NaN)).toEqual({
      kind: 'lock_state',
      state: 'unlocked',
      source: 'host',
      slot: null,
    });
    expect(op(2, 13, Number.NaN)).toMatchObject({ state: 'locked', source: 'manual' });
    expect(op(2, 14, Number.NaN)).toMatchObject({ state: 'unlocked', source: 'manual' });
    expect(op(0xff, 9, Number.NaN)).toMatchObject({ state: 'unlocked', source: 'manual' });
    expect(op(0xff, 10, Number.NaN)).toMatchObject({ state: 'locked', source: 'automatic' });
    expect(op(0, 15, 3)).toEqual({ kind: 'none' });
  });

  it('lockState values', () => {
    expect([0, 1, 2, 0xff].map(lockStateOf)).toEqual(['jammed', 'locked', 'unlocked', null]);
  });
});

describe('programming events', () => {
  const prog = (programeventsrc: number, programeventcode: number, userid: number, pin = '') =>
    programmingOf(
      { programeventsrc, programeventcode, userid, pin: Buffer.from(pin), userstatus: 1 },
      FROM_1,
    );

  it('added, changed and deleted users are slot changes, over the air or at the keypad', () => {
    expect(prog(0, 2, 1, '4821')).toEqual({
      kind: 'slot',
      slot: 1,
      deleted: false,
      pin: '4821',
      disabled: false,
      over_the_air: false,
    });
    expect(prog(1, 4, 2)).toMatchObject({ slot: 2, deleted: false, pin: null, over_the_air: true });
    expect(prog(0, 3, 2)).toMatchObject({ slot: 2, deleted: true });
  });

  it('a delete without a user is "every user"; master code and RFID changes are no slot', () => {
    expect(prog(0, 3, Number.NaN)).toEqual({ kind: 'all' });
    expect(prog(0, 1, 0)).toEqual({ kind: 'none' });
    expect(prog(0, 5, 2)).toEqual({ kind: 'none' });
  });
});

describe('battery', () => {
  it('half percent by default, percent where the lock says so; 0xFF is unknown', () => {
    expect(batteryLevel(200, 'half_percent')).toBe(1);
    expect(batteryLevel(37, 'half_percent')).toBe(0.185);
    expect(batteryLevel(50, 'percent')).toBe(0.5);
    expect(batteryLevel(0xff, 'half_percent')).toBeNull();
    expect(batteryLevel(undefined, 'percent')).toBeNull();
  });
});

describe('Zigbee local time', () => {
  const WINDOW = {
    starts_at: Date.UTC(2030, 0, 1, 0, 0, 0, 500),
    ends_at: Date.UTC(2030, 0, 8, 0, 0, 0, 250),
  };

  it('seconds since 2000-01-01 on this machine’s wall clock, not Unix time', () => {
    const local = zigbeeWindow(WINDOW)!;
    const offset = -new Date(WINDOW.starts_at).getTimezoneOffset() * 60;
    expect(local.start).toBe((Date.UTC(2030, 0, 1) - Date.UTC(2000, 0, 1)) / 1000 + offset);
    expect(fromZigbeeLocal(local.start)).toBe(Date.UTC(2030, 0, 1));
  });

  it('the lock never allows less than asked, and what it keeps reads back the same', () => {
    const kept = lockWindow(WINDOW);
    expect(kept.starts_at).toBeLessThanOrEqual(WINDOW.starts_at);
    expect(kept.ends_at).toBeGreaterThanOrEqual(WINDOW.ends_at);
    expect(lockWindow(kept)).toEqual(kept);
    const local = zigbeeWindow(kept)!;
    expect({ starts_at: fromZigbeeLocal(local.start), ends_at: fromZigbeeLocal(local.end) }).toEqual(kept);
  });

  it('a window before 2000 or past 2136 does not fit', () => {
    expect(zigbeeWindow({ starts_at: Date.UTC(1999, 0, 1), ends_at: Date.UTC(2001, 0, 1) })).toBeNull();
    expect(zigbeeWindow({ starts_at: Date.UTC(2030, 0, 1), ends_at: Date.UTC(2137, 0, 1) })).toBeNull();
  });
});

describe('quirks', () => {
  it('by model, with per-device overrides on top', () => {
    expect(quirksFor('NimlyPRO').quirks).toMatchObject({
      endpoint: 11,
      user_id_base: 1,
      battery_units: 'percent',
    });
    expect(quirksFor('ID Lock 150').quirks).toMatchObject({ read_back: true, programming_event_pin: false });
    expect(quirksFor('SMARTCODE_DEADBOLT_10').entry?.vendor).toBe('Weiser');
    expect(quirksFor('unknown model').quirks).toEqual(DEFAULT_QUIRKS);
    expect(quirksFor('NimlyPRO', { user_id_base: 0, read_back: true }).quirks).toMatchObject({
      endpoint: 11,
      user_id_base: 0,
      read_back: true,
    });
  });
});

describe("herdsman's log", () => {
  it('loses every PIN: Buffers, PIN fields, hex dumps of Buffers', () => {
    const line =
      'ZCL command 0x00/1 closuresDoorLock.setPinCode({"userid":3,"pincodevalue":{"type":"Buffer","data":[52,56,50,57]}}) ' +
      'frame={"payload":{"pin":"4829","code":4829}} <Buffer 34 38 32 39>';
    const scrubbed = scrubHerdsman(line);
    expect(scrubbed).not.toMatch(/4829|52,56,50,57|34 38 32 39/);
    expect(scrubbed).toContain('userid":3');
  });

  it('an error message is cut to its reason', () => {
    const error = new Error(
      'ZCL command 0x00/1 closuresDoorLock.setPinCode({"pincodevalue":{"type":"Buffer","data":[52,56]}}) failed (Timeout - 6656 - 1 - 5 after 300ms)',
    );
    expect(herdsmanReason(error)).toBe('Timeout - 6656 - 1 - 5 after 300ms');
  });
});

describe('frames herdsman cannot decode', () => {
  it('a notification without its trailing Data string is read field by field', () => {
    // 0x19: cluster-specific, server to client, no default response; tsn 7; 0x20 operation event.
    const bytes = Buffer.from([
      0x19, 0x07, 0x20, 0x00, 0x02, 0x03, 0x00, 0x04, 0x31, 0x32, 0x33, 0x34, 0x10, 0, 0, 0,
    ]);
    expect(decodeDoorLockFrame(bytes)).toMatchObject({
      name: 'operationEventNotification',
      fromLock: true,
      payload: { opereventsrc: 0, opereventcode: 2, userid: 3, zigbeelocaltime: 16 },
    });
  });

  it("getYearDayScheduleRsp's strict not-found form has no times", () => {
    const bytes = Buffer.from([0x19, 0x08, 0x0f, 0x00, 0x03, 0x00, 0x8b]);
    expect(decodeDoorLockFrame(bytes)?.payload).toEqual({ scheduleid: 0, userid: 3, status: 0x8b });
  });
});
