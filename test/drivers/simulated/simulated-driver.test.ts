// The simulated driver as the bridge sees it: LockHandles that answer after a latency, and every
// fault knob with an effect a test can observe.
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DriverError, type LockEvents, type LockHandle } from '../../../drivers/driver.ts';
import type { LockModelOptions } from '../../../drivers/simulated/lock-model.ts';
import {
  SimulatedDriver,
  serialFromName,
  simulatedDriverFromConfig,
} from '../../../drivers/simulated/simulated-driver.ts';
import type { SimulatedLock } from '../../../drivers/simulated/simulated-lock.ts';

const OPTIONS: LockModelOptions = {
  slots: 6,
  min_code_length: 4,
  max_code_length: 8,
  can_read_codes: true,
  supports_native_scheduling: false,
  serial_number: 'SIM-A',
};

const drivers: SimulatedDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop();
});

function driver(options: Partial<LockModelOptions> = {}, latency_ms = 2): SimulatedDriver {
  const d = new SimulatedDriver([{ name: 'Front', latency_ms, options: { ...OPTIONS, ...options } }]);
  drivers.push(d);
  return d;
}

/** Starts the driver and waits until its lock answers. */
async function onlineLock(options: Partial<LockModelOptions> = {}, latency_ms = 2): Promise<SimulatedLock> {
  const d = driver(options, latency_ms);
  const lock = d.locks[0]!;
  const online = once(lock, 'online');
  await d.start(() => {});
  await online;
  return lock;
}

type Recorded = { [K in keyof LockEvents]: [K, ...LockEvents[K]] }[keyof LockEvents];
function record(lock: LockHandle): Recorded[] {
  const seen: Recorded[] = [];
  const names: (keyof LockEvents)[] = [
    'online',
    'offline',
    'slot_changed',
    'code_used',
    'wrong_code',
    'lock_state',
    'door_state',
    'battery',
    'rebooted',
  ];
  for (const name of names) lock.on(name, (...args: unknown[]) => seen.push([name, ...args] as Recorded));
  return seen;
}

async function refusalOf(promise: Promise<unknown>): Promise<DriverError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof DriverError)) throw new Error(`expected a DriverError, got ${String(error)}`);
  return error;
}

describe('SimulatedDriver start and stop', () => {
  it('announces the lock, then brings it online with its capabilities once listeners are attached', async () => {
    const d = driver();
    const lock = d.locks[0]!;
    expect(lock.identity).toBe('sim:SIM-A');
    expect(lock.capabilities).toBeNull();
    let seen: Recorded[] = [];
    await d.start((announced) => {
      expect(announced.online).toBe(false);
      seen = record(announced);
    });
    await once(lock, 'online');
    expect(seen).toEqual([
      [
        'online',
        {
          slot_count: 6,
          min_code_length: 4,
          max_code_length: 8,
          can_read_codes: true,
          supports_native_scheduling: false,
          manufacturer: 'lockbridge',
          model: 'Simulated lock',
          serial_number: 'SIM-A',
          firmware: '1.0',
        },
      ],
    ]);
    expect(lock.online).toBe(true);
    expect(lock.capabilities?.slot_count).toBe(6);
  });

  it('refuses commands before start with offline', async () => {
    const lock = driver().locks[0]!;
    expect((await refusalOf(lock.readSlots())).kind).toBe('offline');
  });

  it('keeps the slots across stop and start, and the stopped lock tells nobody anything', async () => {
    const d = driver();
    const lock = d.locks[0]!;
    const online = once(lock, 'online');
    await d.start(() => {});
    await online;
    await lock.writeSlot(2, '482916', null);
    const oldListener = record(lock);
    await d.stop();
    expect(lock.online).toBe(false);
    lock.keypadProgram(3, '123987');
    lock.enterCode('482916');
    lock.setBattery(0.5);
    expect(oldListener).toEqual([]);

    let announced: LockHandle | null = null;
    const back = once(lock, 'online');
    await d.start((l) => {
      announced = l;
    });
    await back;
    expect(announced).toBe(lock);
    expect(oldListener).toEqual([]); // the first bridge's listeners were dropped
    const readings = await lock.readSlots();
    expect(readings.filter((r) => r.state !== 'empty').map((r) => [r.slot, r.code])).toEqual([
      [2, '482916'],
      [3, '123987'],
    ]);
  });

  it('stop fails a command in flight with offline and leaves no timer running', async () => {
    const lock = await onlineLock({}, 2);
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    lock.slowNext(3_600_000);
    const write = lock.writeSlot(1, '1234', null);
    lock.reboot(false);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeGreaterThan(
      timersBefore,
    );
    await drivers[0]!.stop();
    expect((await refusalOf(write)).kind).toBe('offline');
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(timersBefore);
    expect(lock.model.occupiedSlots()).toEqual([]);
  });
});

describe('SimulatedLock commands', () => {
  it('writes, reads and clears slots only when the lock answers', async () => {
    const lock = await onlineLock();
    const write = lock.writeSlot(4, '55667788', null);
    expect(lock.model.occupiedSlots()).toEqual([]); // not before the lock answered
    await write;
    expect(lock.model.codeIn(4)).toBe('55667788');
    expect((await lock.readSlots())[3]).toEqual({
      slot: 4,
      state: 'enabled',
      code: '55667788',
      origin: 'host',
      schedule: null,
    });
    await lock.clearSlot(4);
    await lock.clearSlot(4); // a retried clear of an empty slot succeeds
    expect(lock.model.occupiedSlots()).toEqual([]);
    expect(lock.model.clearCount).toBe(2);
  });

  it('passes the lock refusals on as permanent DriverErrors', async () => {
    const lock = await onlineLock();
    await lock.writeSlot(1, '246802', null);
    const duplicate = await refusalOf(lock.writeSlot(2, '246802', null));
    expect([duplicate.kind, duplicate.other_slot, duplicate.permanent]).toEqual(['duplicate_code', 1, true]);
    expect((await refusalOf(lock.writeSlot(2, '12', null))).kind).toBe('bad_code');
    expect((await refusalOf(lock.writeSlot(7, '1234', null))).kind).toBe('bad_slot');
    expect((await refusalOf(lock.clearSlot(0))).kind).toBe('bad_slot');
    const window = { starts_at: 0, ends_at: 10 };
    expect((await refusalOf(lock.writeSlot(2, '1234', window))).kind).toBe('unsupported');
    expect(lock.model.occupiedSlots()).toEqual([1]);
    expect(lock.model.writeCount).toBe(1);
  });

  it('hides PINs from readings when the lock cannot read codes', async () => {
    const lock = await onlineLock({ can_read_codes: false });
    await lock.writeSlot(1, '9090', null);
    const readings = await lock.readSlots();
    expect(readings[0]).toMatchObject({ slot: 1, state: 'enabled', code: null });
    expect(readings.some((r) => r.code !== null)).toBe(false);
    expect(lock.capabilities?.can_read_codes).toBe(false);
  });

  it('stores a schedule on a lock that schedules natively', async () => {
    const lock = await onlineLock({ supports_native_scheduling: true });
    await lock.writeSlot(1, '9090', { starts_at: 100, ends_at: 200 });
    expect((await lock.readSlots())[0]!.schedule).toEqual({ starts_at: 100, ends_at: 200 });
  });

  it('keeps the model whole when two writes of one PIN overlap: one lands, the other is a duplicate', async () => {
    const lock = await onlineLock();
    const results = await Promise.allSettled([
      lock.writeSlot(1, '777111', null),
      lock.writeSlot(2, '777111', null),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(lock.model.occupiedSlots()).toEqual([1]);
  });

  it('lock and unlock change the lock state and report it from the host', async () => {
    const lock = await onlineLock();
    const seen = record(lock);
    await lock.unlock();
    expect(lock.lockState).toBe('unlocked');
    await lock.lock();
    expect(lock.lockState).toBe('locked');
    expect(seen).toEqual([
      ['lock_state', 'unlocked', 'host', null],
      ['lock_state', 'locked', 'host', null],
    ]);
  });
});

describe('SimulatedLock fault knobs', () => {
  it('setOffline: reports offline, fails commands in flight and new ones, and comes back', async () => {
    const lock = await onlineLock();
    const seen = record(lock);
    const inFlight = lock.writeSlot(1, '1234', null);
    lock.setOffline(true);
    expect(lock.online).toBe(false);
    expect((await refusalOf(inFlight)).kind).toBe('offline');
    expect((await refusalOf(lock.clearSlot(1))).kind).toBe('offline');
    expect(lock.model.occupiedSlots()).toEqual([]); // the write never reached the lock
    lock.setOffline(false);
    expect(lock.online).toBe(true);
    await lock.writeSlot(1, '1234', null);
    expect(seen.map((e) => e[0])).toEqual(['offline', 'online']);
    expect(seen[1]![1]).toMatchObject({ serial_number: 'SIM-A' });
  });

  it('refuseNext: the next writes and clears fail with that kind without touching the slots', async () => {
    const lock = await onlineLock();
    lock.refuseNext('busy', 2);
    const first = await refusalOf(lock.writeSlot(1, '1234', null));
    expect([first.kind, first.permanent]).toEqual(['busy', false]);
    expect((await lock.readSlots()).every((r) => r.state === 'empty')).toBe(true); // reads are not refused
    expect((await refusalOf(lock.clearSlot(1))).kind).toBe('busy');
    await lock.writeSlot(1, '1234', null);
    expect(lock.model.writeCount).toBe(1);
    lock.refuseNext('storage_error');
    expect((await refusalOf(lock.clearSlot(1))).kind).toBe('storage_error');
    expect(lock.model.codeIn(1)).toBe('1234');
  });

  it('refuseNext is kept for a command the lock really receives, not one refused as offline', async () => {
    const lock = await onlineLock();
    lock.refuseNext('busy');
    lock.setOffline(true);
    expect((await refusalOf(lock.writeSlot(1, '1234', null))).kind).toBe('offline');
    lock.setOffline(false);
    expect((await refusalOf(lock.writeSlot(1, '1234', null))).kind).toBe('busy');
  });

  it('slowNext: a slowed command is still unanswered after a later one has been answered', async () => {
    const lock = await onlineLock();
    lock.slowNext(3_600_000);
    const slow = lock.writeSlot(1, '1234', null);
    await lock.writeSlot(2, '5678', null);
    expect(lock.model.occupiedSlots()).toEqual([2]);
    lock.setOffline(true);
    expect((await refusalOf(slow)).kind).toBe('offline');
    expect(lock.model.codeIn(1)).toBeNull();
  });

  it('dropConfirmation: the write lands but its answer is lost: outcome_unknown, and the retry is harmless', async () => {
    const lock = await onlineLock();
    lock.dropConfirmation();
    const lost = await refusalOf(lock.writeSlot(3, '40404', null));
    expect([lost.kind, lost.permanent]).toEqual(['outcome_unknown', false]);
    expect(lock.model.codeIn(3)).toBe('40404');
    await lock.writeSlot(3, '40404', null);
    expect(lock.model.occupiedSlots()).toEqual([3]);
    lock.dropConfirmation();
    expect((await refusalOf(lock.clearSlot(3))).kind).toBe('outcome_unknown');
    expect(lock.model.occupiedSlots()).toEqual([]);
  });

  it('rejects nonsensical fault counts and delays', async () => {
    const lock = await onlineLock();
    expect(() => lock.refuseNext('busy', 0)).toThrow(RangeError);
    expect(() => lock.slowNext(-1)).toThrow(RangeError);
    expect(() => lock.dropConfirmation(1.5)).toThrow(RangeError);
  });

  it('keypadProgram: changes the slot and reports it, without the PIN when codes are unreadable', async () => {
    const lock = await onlineLock({ can_read_codes: false });
    const seen = record(lock);
    lock.keypadProgram(5, '135791');
    lock.keypadProgram(5, null);
    expect(seen).toEqual([
      ['slot_changed', 5, { slot: 5, state: 'enabled', code: null, origin: 'keypad', schedule: null }],
      ['slot_changed', 5, { slot: 5, state: 'empty', code: null, origin: 'unknown', schedule: null }],
    ]);
    expect(lock.model.writeCount).toBe(0);
  });

  it('keypadProgram refuses what the lock would refuse, and reports nothing then', async () => {
    const lock = await onlineLock();
    const seen = record(lock);
    lock.keypadProgram(1, '2468');
    expect(() => lock.keypadProgram(2, '2468')).toThrow(DriverError);
    expect(() => lock.keypadProgram(2, '1')).toThrow(DriverError);
    expect(seen).toHaveLength(1);
  });

  it('keypadProgram while offline changes the slot silently; the bridge finds it on the next read', async () => {
    const lock = await onlineLock();
    const seen = record(lock);
    lock.setOffline(true);
    lock.keypadProgram(1, '2468');
    lock.setOffline(false);
    expect(seen.map((e) => e[0])).toEqual(['offline', 'online']);
    expect((await lock.readSlots())[0]!.code).toBe('2468');
  });

  it('enterCode: a good PIN unlocks from the keypad; wrong PINs are counted until a good one', async () => {
    const lock = await onlineLock();
    await lock.writeSlot(2, '8642', null);
    const seen = record(lock);
    lock.enterCode('0000');
    lock.enterCode('1111');
    lock.enterCode('8642');
    lock.enterCode('0000');
    expect(seen).toEqual([
      ['wrong_code', 1],
      ['wrong_code', 2],
      ['code_used', 2, 'unlocked'],
      ['lock_state', 'unlocked', 'keypad', 2],
      ['wrong_code', 1],
    ]);
    expect(lock.lockState).toBe('unlocked');
  });

  it('enterCode: a PIN outside its window is rejected and the door stays locked', async () => {
    const lock = await onlineLock({ supports_native_scheduling: true });
    await lock.writeSlot(1, '8642', { starts_at: 1_000, ends_at: 2_000 });
    const seen = record(lock);
    lock.enterCode('8642', 2_500);
    expect(seen).toEqual([['code_used', 1, 'rejected_schedule']]);
    expect(lock.lockState).toBe('locked');
    lock.enterCode('8642', 1_500);
    expect(seen.at(-1)).toEqual(['lock_state', 'unlocked', 'keypad', 1]);
  });

  it('enterCode: a disabled PIN is rejected', async () => {
    const lock = await onlineLock();
    await lock.writeSlot(1, '8642', null);
    const seen = record(lock);
    lock.keypadSetEnabled(1, false);
    lock.enterCode('8642');
    expect(seen).toEqual([
      ['slot_changed', 1, { slot: 1, state: 'disabled', code: '8642', origin: 'host', schedule: null }],
      ['code_used', 1, 'rejected_disabled'],
    ]);
  });

  it('reboot: offline, then rebooted(false) and online, with the slots intact', async () => {
    const lock = await onlineLock();
    await lock.writeSlot(1, '1234', null);
    const seen = record(lock);
    const back = once(lock, 'online');
    lock.reboot(false);
    expect(lock.online).toBe(false);
    expect((await refusalOf(lock.readSlots())).kind).toBe('offline');
    await back;
    expect(seen.map((e) => e.slice(0, 2))).toEqual([
      ['offline', 'rebooting'],
      ['rebooted', false],
      ['online', lock.capabilities],
    ]);
    expect(lock.model.codeIn(1)).toBe('1234');
  });

  it('reboot with a factory reset empties every slot and says so before coming online', async () => {
    const lock = await onlineLock();
    await lock.writeSlot(1, '1234', null);
    await lock.writeSlot(2, '5678', null);
    const seen = record(lock);
    const back = once(lock, 'online');
    lock.reboot(true);
    await back;
    expect(seen.map((e) => e[0])).toEqual(['offline', 'rebooted', 'online']);
    expect(seen[1]).toEqual(['rebooted', true]);
    expect((await lock.readSlots()).every((r) => r.state === 'empty')).toBe(true);
    expect(lock.model.writeCount).toBe(2);
  });

  it('a reboot while unreachable is reported when the lock is back', async () => {
    const lock = await onlineLock();
    lock.setOffline(true);
    const seen = record(lock);
    lock.reboot(true);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the reboot is over, the lock still unreachable
    expect(seen).toEqual([]);
    lock.setOffline(false);
    expect(seen.map((e) => e.slice(0, 2))).toEqual([
      ['rebooted', true],
      ['online', lock.capabilities],
    ]);
  });

  it('battery and door changes are reported; an impossible battery level is refused', async () => {
    const lock = await onlineLock();
    const seen = record(lock);
    lock.setBattery(0.15);
    lock.setDoor('open');
    expect(seen).toEqual([
      ['battery', 0.15],
      ['door_state', 'open'],
    ]);
    expect(() => lock.setBattery(15)).toThrow(RangeError);
  });
});

describe('simulatedDriverFromConfig', () => {
  const simulated = {
    slots: 30,
    min_code_length: 4,
    max_code_length: 8,
    latency_ms: 1,
    can_read_codes: true,
    supports_native_scheduling: false,
    keep_slots: false,
  };
  const NO_DIR = '/nonexistent/simulated-locks';

  it('derives a stable serial number from the name unless one is given', () => {
    const a = simulatedDriverFromConfig(
      [
        { name: 'Front door', simulated },
        { name: 'Back', simulated: { ...simulated, serial_number: 'XYZ-1' } },
      ],
      NO_DIR,
    );
    const b = simulatedDriverFromConfig([{ name: 'Front door', simulated }], NO_DIR);
    drivers.push(a, b);
    expect(a.locks[0]!.identity).toBe(b.locks[0]!.identity);
    expect(a.locks[0]!.identity).toMatch(/^sim:SIM-FRONT-DOOR-[0-9A-F]{6}$/);
    expect(a.locks[1]!.identity).toBe('sim:XYZ-1');
    expect(a.locks.map((l) => l.name)).toEqual(['Front door', 'Back']);
    expect(a.locks[0]!.model.options.slots).toBe(30);
  });

  it('gives names that differ only in punctuation different serial numbers', () => {
    expect(serialFromName('Front door')).not.toBe(serialFromName('Front-door'));
    expect(serialFromName('Tür')).toMatch(/^SIM-TUR-[0-9A-F]{6}$/);
    expect(serialFromName('🚪')).toMatch(/^SIM-[0-9A-F]{6}$/);
  });

  it('refuses two locks with one serial number', () => {
    expect(() =>
      simulatedDriverFromConfig(
        [
          { name: 'A', simulated: { ...simulated, serial_number: 'S' } },
          { name: 'B', simulated: { ...simulated, serial_number: 'S' } },
        ],
        NO_DIR,
      ),
    ).toThrow(/serial number/);
  });

  it('with keep_slots, a lock keeps its slots across a restart of the daemon, in a private file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockbridge-sim-slots-'));
    try {
      const slotsDir = join(dir, 'simulated-locks');
      const config = [{ name: 'Kept', simulated: { ...simulated, keep_slots: true } }];
      const first = simulatedDriverFromConfig(config, slotsDir);
      drivers.push(first);
      const lock = first.locks[0]!;
      await first.start(() => undefined);
      await once(lock, 'online');
      await lock.writeSlot(3, '482916', null);
      lock.keypadProgram(5, '1357');
      await first.stop();

      // A new process: a new driver from the same configuration finds both codes once its lock answers.
      const second = simulatedDriverFromConfig(config, slotsDir);
      drivers.push(second);
      await second.start(() => undefined);
      await once(second.locks[0]!, 'online');
      expect((await second.locks[0]!.readSlot(3)).code).toBe('482916');
      const keypad = await second.locks[0]!.readSlot(5);
      expect([keypad.code, keypad.origin]).toEqual(['1357', 'keypad']);
      // Without keep_slots the same lock starts empty, as before.
      const forgetful = simulatedDriverFromConfig([{ name: 'Kept', simulated }], slotsDir);
      drivers.push(forgetful);
      await forgetful.start(() => undefined);
      await once(forgetful.locks[0]!, 'online');
      expect((await forgetful.locks[0]!.readSlots()).filter((r) => r.state !== 'empty')).toEqual([]);
      // The file holds PINs: readable by the daemon's user only.
      const [file] = readdirSync(slotsDir);
      expect(statSync(slotsDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(slotsDir, file!)).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
