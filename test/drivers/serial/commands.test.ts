// Every request type through the real SerialDriver, over a pty, to a lockwire simulator.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverError, type LockHandle } from '../../../drivers/driver.ts';
import type { LockSimulator } from '../../../drivers/serial/simulator/lock-simulator.ts';
import { Bench, FAST, lockOptions, record, until } from './harness.ts';

let bench: Bench;
beforeEach(async () => {
  bench = await Bench.create();
});
afterEach(async () => {
  await bench.cleanup();
});

async function onlineLock(
  options = lockOptions('LK0001'),
): Promise<{ lock: LockHandle; sim: LockSimulator }> {
  const pair = await bench.pair('a');
  const sim = await bench.simulator(options, pair.lockPath);
  let status: unknown[][] = [];
  const { announced } = await bench.driver([{ name: 'Front door', path: pair.hostPath }], FAST, (lock) => {
    status = record(lock, ['battery']);
  });
  // Connected once GET_STATUS was answered, so its lock state can't mix with what a test records.
  await until(() => announced[0]?.online === true && status.length === 1, 'the lock online');
  return { lock: announced[0]!, sim };
}

async function refusal(promise: Promise<unknown>): Promise<DriverError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof DriverError)) throw new Error(`expected a DriverError, got ${String(error)}`);
  return error;
}

describe('SerialDriver: GET_INFO, SET_CLOCK, GET_STATUS at connect', () => {
  it('announces the lock by serial number with the capabilities INFO gives', async () => {
    const { lock, sim } = await onlineLock();
    expect(lock.identity).toBe('lockwire:LK0001');
    expect(lock.name).toBe('Front door');
    expect(lock.driver).toBe('serial');
    expect(lock.capabilities).toMatchObject({
      slot_count: 30,
      min_code_length: 4,
      max_code_length: 8,
      can_read_codes: true,
      supports_native_scheduling: true,
      serial_number: 'LK0001',
      firmware: '1.4.2',
    });
    await until(() => sim.brain.clockOffset !== null, 'SET_CLOCK');
    expect(Math.abs(sim.brain.clockOffset!)).toBeLessThan(60_000);
  });

  it('sends no SET_CLOCK to a lock without a clock, and reports its status', async () => {
    const pair = await bench.pair('a');
    const sim = await bench.simulator(lockOptions('LK0002', { has_clock: false }), pair.lockPath);
    sim.brain.door = 'open';
    sim.brain.battery = 42;
    sim.brain.lockState = 'jammed';
    const executed: string[] = [];
    sim.on('executed', (request) => executed.push(request.type));
    let seen: unknown[][] = [];
    await bench.driver([{ name: 'Back', path: pair.hostPath }], FAST, (lock) => {
      seen = record(lock, ['lock_state', 'door_state', 'battery']);
    });
    await until(() => seen.length === 3, 'the status');
    expect(seen).toEqual([
      ['lock_state', 'jammed', 'unknown', null],
      ['door_state', 'open'],
      ['battery', 0.42],
    ]);
    expect(executed).toEqual(['get_info', 'get_status']);
  });
});

describe('SerialDriver: slots', () => {
  it('writes, reads back with READ_SLOTS and clears', async () => {
    const { lock, sim } = await onlineLock();
    const window = { starts_at: 1767225600_000, ends_at: 1767830400_000 };
    await lock.writeSlot(3, '1234', null);
    await lock.writeSlot(4, '55667788', window);
    expect(sim.model.slot(3)).toMatchObject({
      state: 'enabled',
      code: '1234',
      origin: 'host',
      schedule: null,
    });
    expect(sim.model.slot(4)).toMatchObject({ code: '55667788', schedule: window });
    sim.keypadProgram(7, '9876');

    const readings = await lock.readSlots();
    expect(readings).toHaveLength(30);
    expect(readings.map((r) => r.slot)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(readings[2]).toEqual({ slot: 3, state: 'enabled', code: '1234', origin: 'host', schedule: null });
    expect(readings[3]).toEqual({
      slot: 4,
      state: 'enabled',
      code: '55667788',
      origin: 'host',
      schedule: window,
    });
    expect(readings[6]).toMatchObject({ slot: 7, code: '9876', origin: 'keypad' });
    expect(readings[0]).toEqual({ slot: 1, state: 'empty', code: null, origin: 'unknown', schedule: null });

    await lock.clearSlot(3);
    expect(sim.model.slot(3).state).toBe('empty');
    expect(sim.model.clearCount).toBe(1);
  });

  it('reads every slot of a full lock whose records do not all fit one SLOTS frame', async () => {
    const { lock, sim } = await onlineLock(lockOptions('LK0003', { slots: 40 }));
    const window = { starts_at: 1767225600_000, ends_at: 1767830400_000 };
    for (let slot = 1; slot <= 40; slot++) sim.model.write(slot, String(10_000_000 + slot), window);
    const reads: number[] = [];
    sim.on('executed', (r) => {
      if (r.type === 'read_slots') reads.push(r.first);
    });
    const readings = await lock.readSlots();
    expect(readings.map((r) => r.code)).toEqual(Array.from({ length: 40 }, (_, i) => String(10_000_001 + i)));
    // 21-byte records: 11 fit in a payload, so more requests than 40/16 were needed, none overlapping.
    expect(reads.length).toBeGreaterThan(3);
    expect(new Set(reads).size).toBe(reads.length);
  });

  it('hides codes a lock cannot read back', async () => {
    const { lock, sim } = await onlineLock(lockOptions('LK0004', { can_read_codes: false }));
    await lock.writeSlot(2, '4321', null);
    const readings = await lock.readSlots();
    expect(readings[1]).toEqual({ slot: 2, state: 'enabled', code: null, origin: 'host', schedule: null });
    expect(sim.model.codeIn(2)).toBe('4321');
  });
});

describe('SerialDriver: refusals are DriverErrors of the right kind', () => {
  it('maps NAK duplicate_code with the other slot', async () => {
    const { lock, sim } = await onlineLock();
    await lock.writeSlot(5, '2468', null);
    const error = await refusal(lock.writeSlot(6, '2468', null));
    expect(error.kind).toBe('duplicate_code');
    expect(error.other_slot).toBe(5);
    expect(error.permanent).toBe(true);
    expect(sim.model.slot(6).state).toBe('empty');
  });

  it('maps NAK bad_code and bad_slot', async () => {
    const { lock } = await onlineLock();
    expect((await refusal(lock.writeSlot(1, '12', null))).kind).toBe('bad_code');
    expect((await refusal(lock.writeSlot(1, '12a4', null))).kind).toBe('bad_code');
    expect((await refusal(lock.writeSlot(99, '1234', null))).kind).toBe('bad_slot');
    expect((await refusal(lock.clearSlot(0))).kind).toBe('bad_slot');
  });

  it('maps NAK busy and storage_error as transient', async () => {
    const { lock, sim } = await onlineLock();
    sim.faults.refuse('busy');
    const busy = await refusal(lock.writeSlot(1, '1357', null));
    expect(busy.kind).toBe('busy');
    expect(busy.permanent).toBe(false);
    sim.faults.refuse('storage_error');
    expect((await refusal(lock.clearSlot(1))).kind).toBe('storage_error');
    await lock.writeSlot(1, '1357', null); // the lock is fine again
    expect(sim.model.codeIn(1)).toBe('1357');
  });

  it('refuses a schedule on a lock without native schedules without sending it', async () => {
    const { lock, sim } = await onlineLock(lockOptions('LK0005', { supports_native_scheduling: false }));
    const writes: unknown[] = [];
    sim.on('executed', (r) => {
      if (r.type === 'write_slot') writes.push(r);
    });
    const error = await refusal(
      lock.writeSlot(1, '1357', { starts_at: 1_800_000_000_000, ends_at: 1_800_000_600_000 }),
    );
    expect(error.kind).toBe('unsupported');
    expect(writes).toEqual([]);
  });
});

describe('SerialDriver: LOCK and UNLOCK', () => {
  it('locks and unlocks, and reports the lock state the lock announces', async () => {
    const { lock, sim } = await onlineLock();
    const seen = record(lock, ['lock_state']);
    await lock.unlock();
    expect(sim.brain.lockState).toBe('unlocked');
    await lock.lock();
    expect(sim.brain.lockState).toBe('locked');
    await until(() => seen.length === 2, 'two lock states');
    expect(seen).toEqual([
      ['lock_state', 'unlocked', 'host', null],
      ['lock_state', 'locked', 'host', null],
    ]);
  });
});

describe('SerialDriver: clock and stop', () => {
  it('sets the clock again every clock interval (hourly by default)', async () => {
    const pair = await bench.pair('a');
    const sim = await bench.simulator(lockOptions('LK0006'), pair.lockPath);
    let clocks = 0;
    sim.on('executed', (r) => {
      if (r.type === 'set_clock') clocks++;
    });
    await bench.driver([{ name: 'Front door', path: pair.hostPath }], { ...FAST, clock_interval_ms: 30 });
    await until(() => clocks >= 3, 'three SET_CLOCKs');
  });

  it('stop() closes the port: the lock goes offline and commands fail with offline', async () => {
    const pair = await bench.pair('a');
    await bench.simulator(lockOptions('LK0007'), pair.lockPath);
    const { driver, announced } = await bench.driver([{ name: 'Front door', path: pair.hostPath }]);
    await until(() => announced[0]?.online === true, 'online');
    const lock = announced[0]!;
    const seen = record(lock, ['offline']);
    await driver.stop();
    expect(lock.online).toBe(false);
    expect(seen).toEqual([['offline', 'driver stopped']]);
    expect((await refusal(lock.readSlots())).kind).toBe('offline');
  });
});
