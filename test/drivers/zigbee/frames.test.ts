// The Door Lock frames on the air, byte by byte, against the ZCL specification's layouts (ZCL 7,
// Closures: Door Lock, 0x0101): what the driver sends through herdsman's real codec, and notifications
// made by hand from the specification that the driver must understand. Layout of a ZCL frame: frame
// control (bits 0-1 frame type: 01 cluster-specific; bit 3 direction: 1 server to client; bit 4
// disable default response), transaction sequence number, command id, then the payload little-endian,
// an octet or character string as its length and its bytes.
import { afterEach, describe, expect, it } from 'vitest';
import { simLock } from '../../../drivers/zigbee/simulator/lock-kinds.ts';
import type { SimDoorLock } from '../../../drivers/zigbee/simulator/sim-door-lock.ts';
import { next, record } from '../serial/harness.ts';
import { ieee, until, ZigbeeBench } from './harness.ts';

const DOOR_LOCK = 0x0101;
/** Cluster-specific, client to server, default response disabled (the command has its own response). */
const TO_LOCK = 0x11;
/** Cluster-specific, server to client, default response disabled. */
const FROM_LOCK = 0x19;

let bench: ZigbeeBench;
afterEach(async () => bench?.cleanup());

async function paired(kind: Parameters<typeof simLock>[0]) {
  bench = await ZigbeeBench.create();
  await bench.start();
  const sim = bench.network.add(simLock(kind, ieee(1)));
  const lock = await bench.pair(sim);
  return { sim, lock };
}

/** The Door Lock frames the lock received after `from`, with their sequence numbers. */
function doorLockFrames(sim: SimDoorLock, from: number): Buffer[] {
  return sim.receivedFrames
    .slice(from)
    .filter((f) => f.cluster === DOOR_LOCK && (f.bytes[0]! & 0x03) === 0x01)
    .map((f) => f.bytes);
}

const ascii = (text: string) => [...Buffer.from(text, 'ascii')];
const u16 = (value: number) => [value & 0xff, value >> 8];
const u32 = (value: number) => [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, value >>> 24];

describe('commands the driver sends', () => {
  it('setPinCode, getPinCode and clearPinCode: user id of the slot (from 0), status enabled, type unrestricted, the PIN as ASCII', async () => {
    const { sim, lock } = await paired('reads_back');
    const from = sim.receivedFrames.length;
    await lock.writeSlot(3, '0482', null);
    await lock.readSlot(3);
    await lock.clearSlot(3);
    const [set, get, clear] = doorLockFrames(sim, from);
    // setPinCode 0x05: User ID (uint16), User Status (uint8), User Type (enum8), PIN (octet string).
    expect([...set!]).toEqual([TO_LOCK, set![1], 0x05, ...u16(2), 0x01, 0x00, 0x04, ...ascii('0482')]);
    // getPinCode 0x06: User ID.
    expect([...get!]).toEqual([TO_LOCK, get![1], 0x06, ...u16(2)]);
    // clearPinCode 0x07: User ID.
    expect([...clear!]).toEqual([TO_LOCK, clear![1], 0x07, ...u16(2)]);
    expect(new Set([set![1], get![1], clear![1]]).size).toBe(3);
  });

  it('on a lock that numbers users from 1 (endpoint 11), slot 1 is user 1', async () => {
    const { sim, lock } = await paired('from_one');
    const from = sim.receivedFrames.length;
    await lock.writeSlot(1, '13579', null);
    const [set] = doorLockFrames(sim, from);
    expect([...set!]).toEqual([TO_LOCK, set![1], 0x05, ...u16(1), 0x01, 0x00, 0x05, ...ascii('13579')]);
    expect(sim.user(1)?.pin).toBe('13579');
    expect(sim.user(0)).toBeUndefined();
  });

  it('a time-bound code: setPinCode as a year-day user, then setYearDaySchedule in Zigbee local time', async () => {
    const { sim, lock } = await paired('year_day');
    const window = lock.normalizeSchedule({
      starts_at: Date.UTC(2031, 5, 1, 8),
      ends_at: Date.UTC(2031, 5, 8, 18),
    });
    const from = sim.receivedFrames.length;
    await lock.writeSlot(2, '24680', window);
    const [set, schedule] = doorLockFrames(sim, from);
    expect([...set!]).toEqual([TO_LOCK, set![1], 0x05, ...u16(1), 0x01, 0x01, 0x05, ...ascii('24680')]);
    const local = (ms: number) => (ms - Date.UTC(2000, 0, 1)) / 1000 - new Date(ms).getTimezoneOffset() * 60;
    // setYearDaySchedule 0x0E: Schedule ID (uint8), User ID (uint16), Local Start Time, Local End Time (uint32).
    expect([...schedule!]).toEqual([
      TO_LOCK,
      schedule![1],
      0x0e,
      0x00,
      ...u16(1),
      ...u32(local(window.starts_at)),
      ...u32(local(window.ends_at)),
    ]);
  });

  it('lockDoor and unlockDoor with an empty PIN (length 0, not the 0xFF "no value" herdsman sends for "")', async () => {
    const { sim, lock } = await paired('reads_back');
    const from = sim.receivedFrames.length;
    await lock.unlock();
    await lock.lock();
    const [unlock, lockFrame] = doorLockFrames(sim, from);
    expect([...unlock!]).toEqual([TO_LOCK, unlock![1], 0x01, 0x00]);
    expect([...lockFrame!]).toEqual([TO_LOCK, lockFrame![1], 0x00, 0x00]);
  });
});

describe('notifications made from the specification', () => {
  /** Operation Event Notification 0x20: source, code, User ID, PIN, Zigbee local time, Data. */
  const operation = (source: number, code: number, userid: number, pin: string, data = true) =>
    Buffer.from([
      FROM_LOCK,
      0x42,
      0x20,
      source,
      code,
      ...u16(userid),
      pin.length,
      ...ascii(pin),
      ...u32(0x2f000000),
      ...(data ? [0x00] : []),
    ]);
  /** Programming Event Notification 0x21: source, code, User ID, PIN, User Type, User Status, local time, Data. */
  const programming = (source: number, code: number, userid: number, pin: string, status: number) =>
    Buffer.from([
      FROM_LOCK,
      0x43,
      0x21,
      source,
      code,
      ...u16(userid),
      pin.length,
      ...ascii(pin),
      0x00,
      status,
      ...u32(0),
      0x00,
    ]);

  it('a keypad unlock (source 0, code 2) by user 2 is slot 3 used', async () => {
    const { sim, lock } = await paired('reads_back');
    const used = next(lock, 'code_used');
    sim.sendRaw(DOOR_LOCK, operation(0x00, 0x02, 2, '4821'));
    expect(await used).toEqual([3, 'unlocked']);
  });

  it('…also without the trailing Data string, which herdsman’s codec refuses', async () => {
    const { sim, lock } = await paired('from_one');
    const used = next(lock, 'code_used');
    sim.sendRaw(DOOR_LOCK, operation(0x00, 0x02, 7, '4821', false));
    expect(await used).toEqual([7, 'unlocked']);
  });

  it('an unknown PIN (user 0xFFFF, code 5 unlock failure) is a wrong code, counted', async () => {
    const { sim, lock } = await paired('reads_back');
    const seen = record(lock, ['wrong_code', 'code_used']);
    sim.sendRaw(DOOR_LOCK, operation(0x00, 0x05, 0xffff, '9999'));
    sim.sendRaw(DOOR_LOCK, operation(0x00, 0x05, 0xffff, '8888'));
    await until(() => seen.length === 2, 'two wrong codes');
    expect(seen).toEqual([
      ['wrong_code', 1],
      ['wrong_code', 2],
    ]);
  });

  it('a PIN added at the keypad (source 0, code 2) is that slot changed, with the PIN it carries', async () => {
    const { sim, lock } = await paired('reads_back');
    const changed = next(lock, 'slot_changed');
    sim.sendRaw(DOOR_LOCK, programming(0x00, 0x02, 5, '73915', 0x01));
    expect(await changed).toEqual([
      6,
      { slot: 6, state: 'enabled', code: '73915', origin: 'unknown', schedule: null },
    ]);
  });

  it('a PIN deleted at the keypad (code 3) is that slot empty', async () => {
    const { sim, lock } = await paired('reads_back');
    const changed = next(lock, 'slot_changed');
    sim.sendRaw(DOOR_LOCK, programming(0x00, 0x03, 5, '', 0x00));
    expect(await changed).toEqual([
      6,
      { slot: 6, state: 'empty', code: null, origin: 'unknown', schedule: null },
    ]);
  });
});
