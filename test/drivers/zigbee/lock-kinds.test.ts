// The five kinds of simulated locks through herdsman's real Controller: one that reads codes back,
// one that can't, a sleepy one that answers late, one with year-day schedules, one that numbers
// users from 1 on endpoint 11. Refusals, read-back, and answers that do not fit.
import { afterEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../drivers/driver.ts';
import { simLock } from '../../../drivers/zigbee/simulator/lock-kinds.ts';
import { next } from '../serial/harness.ts';
import { ieee, until, ZigbeeBench } from './harness.ts';

let bench: ZigbeeBench;
afterEach(async () => bench?.cleanup());

/** The rejection of a command: a DriverError. */
async function refusal(command: Promise<unknown>): Promise<DriverError> {
  const error = await command.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DriverError);
  return error as DriverError;
}

describe('a lock that reads codes back (Yale-like)', () => {
  it('adopts it: capabilities from its attributes, model and firmware from Basic, identity zigbee:<ieee>', async () => {
    bench = await ZigbeeBench.create();
    await bench.start({ names: { [ieee(1)]: 'Back door' } });
    const lock = await bench.pair(
      bench.network.add(simLock('reads_back', ieee(1), { users: 30, min_pin: 5, max_pin: 10 })),
    );
    expect(lock.identity).toBe(`zigbee:${ieee(1)}`);
    expect(lock.name).toBe('Back door');
    expect(lock.readPolicy).toEqual({ mode: 'targeted', chunk: 5 });
    expect(lock.capabilities).toEqual({
      slot_count: 30,
      min_code_length: 5,
      max_code_length: 10,
      can_read_codes: true,
      supports_native_scheduling: false,
      manufacturer: 'Yale',
      model: 'YRD256 TSDB',
      serial_number: ieee(1),
      firmware: '3.1.7',
    });
    // Bound and reporting: a bolt turned by hand reaches the driver.
    const state = next(lock, 'lock_state');
    bench.network.locks.get(ieee(1))!.manual(false);
    expect(await state).toEqual(['unlocked', 'manual', null]);
  });

  it("maps setPinCode's statuses: 2 no_space, 3 duplicate_code, 1 storage_error (transient); Default Responses too", async () => {
    bench = await ZigbeeBench.create();
    await bench.start();
    const sim = bench.network.add(simLock('reads_back', ieee(1)));
    const lock = await bench.pair(sim);
    sim.refuse('setPinCode', 2);
    expect((await refusal(lock.writeSlot(1, '1234', null))).kind).toBe('no_space');
    sim.refuse('setPinCode', 1);
    const failure = await refusal(lock.writeSlot(1, '1234', null));
    expect([failure.kind, failure.permanent]).toEqual(['storage_error', false]);
    await lock.writeSlot(1, '1234', null);
    const duplicate = await refusal(lock.writeSlot(2, '1234', null));
    expect([duplicate.kind, duplicate.permanent, duplicate.other_slot]).toEqual([
      'duplicate_code',
      true,
      null,
    ]);
    sim.refuse('clearPinCode', 0x81, true); // UNSUP_COMMAND as a Default Response
    expect((await refusal(lock.clearSlot(1))).kind).toBe('unsupported');
    expect(lock.online).toBe(true);
  });

  it('a Default Response saying "success" to setPinCode is no confirmation: outcome unknown', async () => {
    bench = await ZigbeeBench.create();
    await bench.start();
    const sim = bench.network.add(simLock('reads_back', ieee(1)));
    const lock = await bench.pair(sim);
    sim.refuse('setPinCode', 0x00, true);
    const error = await refusal(lock.writeSlot(1, '1234', null));
    expect(error.kind).toBe('outcome_unknown');
    expect(lock.online).toBe(true);
  });

  it('where the quirk says (ID Lock, Weiser, or the configuration), a set is read back: one more frame', async () => {
    bench = await ZigbeeBench.create();
    await bench.start({ devices: { [ieee(2)]: { read_back: true } } });
    const plain = bench.network.add(simLock('reads_back', ieee(1)));
    const checked = bench.network.add(simLock('reads_back', ieee(2)));
    const a = await bench.pair(plain);
    const b = await bench.pair(checked);
    const sentSoFar = (sim: typeof plain) => bench.network.framesTo(sim.options.ieee).length;
    const [pa, pb] = [sentSoFar(plain), sentSoFar(checked)];
    await a.writeSlot(1, '1234', null);
    await b.writeSlot(1, '1234', null);
    const sent = (sim: typeof plain, from: number) =>
      bench.network
        .framesTo(sim.options.ieee)
        .slice(from)
        .map((f) => f.command);
    expect(sent(plain, pa)).toEqual(['setPinCode']);
    expect(sent(checked, pb)).toEqual(['setPinCode', 'getPinCode']);
  });

  it("an answer from another lock that carries the request's sequence number is not believed (deconz matching)", async () => {
    bench = await ZigbeeBench.create({ matching: 'cluster_and_sequence' });
    await bench.start();
    const slow = bench.network.add(simLock('reads_back', ieee(1)));
    const other = bench.network.add(simLock('reads_back', ieee(2)));
    const lock = await bench.pair(slow);
    await bench.pair(other);
    slow.options.answer_delay_ms = 60;
    const from = bench.network.frames.length;
    const write = lock.writeSlot(1, '1234', null);
    await until(
      () => bench.network.frames.slice(from).some((f) => f.command === 'setPinCode'),
      'setPinCode sent',
    );
    const sent = bench.network.frames.slice(from).find((f) => f.command === 'setPinCode')!;
    // The other lock's thumb turn goes out with the same sequence number, before the slow answer.
    other.useTsn(sent.bytes[1]!);
    other.manual(true);
    const error = await refusal(write);
    expect(error.kind).toBe('outcome_unknown');
    expect(error.message).toContain('another device');
    expect(slow.user(0)?.pin).toBe('1234'); // it did land: the reconciler reads the slot before writing again
  });
});

describe('a lock that cannot read codes back', () => {
  it('learns it from an occupied user without a PIN, says so with its capabilities, and keeps it across restarts', async () => {
    bench = await ZigbeeBench.create();
    const driver = await bench.start();
    const sim = bench.network.add(simLock('masked', ieee(1)));
    const lock = await bench.pair(sim);
    expect(lock.capabilities?.can_read_codes).toBe(true);
    await lock.writeSlot(2, '5678', null);
    const told = next(lock, 'online');
    expect(await lock.readSlot(2)).toEqual({
      slot: 2,
      state: 'enabled',
      code: null,
      origin: 'unknown',
      schedule: null,
    });
    expect((await told)[0].can_read_codes).toBe(false);
    await driver.stop();
    const again = await bench.start();
    await until(() => again.lockByIeee(ieee(1))?.online === true, 'online after the restart');
    expect(again.lockByIeee(ieee(1))!.capabilities?.can_read_codes).toBe(false);
  });

  it('a per-device override says so from the start', async () => {
    bench = await ZigbeeBench.create();
    await bench.start({ devices: { [ieee(1)]: { masked_pins: true } } });
    const lock = await bench.pair(bench.network.add(simLock('masked', ieee(1))));
    expect(lock.capabilities?.can_read_codes).toBe(false);
  });
});

describe('a sleepy lock that answers late', () => {
  it('gets the time its poll rate needs (Poll Control says 500 ms); without it the same answer is too late', async () => {
    bench = await ZigbeeBench.create();
    // Both answer 150 ms late; the response timeout is 120 ms.
    await bench.start({ response_timeout_ms: 120, devices: { [ieee(2)]: { poll_interval_ms: 0 } } });
    // Awake while pairing (as a lock is when its button was pressed), sleepy afterwards.
    const sleepy = bench.network.add(simLock('sleepy', ieee(1), { answer_delay_ms: 0 }));
    const unfitted = bench.network.add(simLock('sleepy', ieee(2), { answer_delay_ms: 0 }));
    const fitted = await bench.pair(sleepy);
    const lock = await bench.pair(unfitted);
    sleepy.options.answer_delay_ms = 150;
    unfitted.options.answer_delay_ms = 150;
    await fitted.writeSlot(1, '1234', null);
    expect((await refusal(lock.writeSlot(1, '1234', null))).kind).toBe('outcome_unknown');
    expect(fitted.capabilities?.manufacturer).toBe('Kwikset');
  });
});

describe('a lock with year-day schedules', () => {
  const window = () => ({ starts_at: Date.now() - 3_600_000, ends_at: Date.now() + 3_600_000 });

  async function yearDayLock() {
    bench = await ZigbeeBench.create();
    await bench.start();
    const sim = bench.network.add(simLock('year_day', ieee(1)));
    return { sim, lock: await bench.pair(sim) };
  }

  it('reads the time from the coordinator, enforces the window itself, and reads the schedule back', async () => {
    const { sim, lock } = await yearDayLock();
    expect(lock.capabilities?.supports_native_scheduling).toBe(true);
    await until(() => sim.hasClock, "the lock's clock, from the coordinator's Time cluster");
    const now = lock.normalizeSchedule(window());
    const later = lock.normalizeSchedule({
      starts_at: Date.now() + 86_400_000,
      ends_at: Date.now() + 2 * 86_400_000,
    });
    await lock.writeSlot(1, '1111', now);
    await lock.writeSlot(2, '2222', later);
    expect((await lock.readSlot(1)).schedule).toEqual(now);
    expect((await lock.readSlots({ first: 2, count: 1 }))[0]!.schedule).toEqual(later);
    const used = next(lock, 'code_used');
    sim.enterCode('2222');
    expect(await used).toEqual([2, 'rejected_schedule']);
    const opened = next(lock, 'code_used');
    sim.enterCode('1111');
    expect(await opened).toEqual([1, 'unlocked']);
  });

  it('the two-command write is safe: if the schedule is lost the code is there but never opens the door', async () => {
    const { sim, lock } = await yearDayLock();
    await until(() => sim.hasClock, 'clock');
    sim.loseCommand('setYearDaySchedule');
    const w = lock.normalizeSchedule(window());
    expect((await refusal(lock.writeSlot(1, '1111', w))).kind).toBe('outcome_unknown');
    expect(sim.user(0)).toMatchObject({ pin: '1111', type: 1, schedule: null });
    const used = next(lock, 'code_used');
    sim.enterCode('1111');
    expect(await used).toEqual([1, 'rejected_schedule']);
  });

  it('a refused schedule takes the code off again and is unsupported', async () => {
    const { sim, lock } = await yearDayLock();
    sim.refuse('setYearDaySchedule', 1);
    const error = await refusal(lock.writeSlot(1, '1111', lock.normalizeSchedule(window())));
    expect([error.kind, error.permanent]).toEqual(['unsupported', true]);
    expect(sim.user(0)).toBeUndefined();
  });

  it('a slot without a schedule answers "not found" in the strict form, read as no schedule', async () => {
    const { sim, lock } = await yearDayLock();
    await lock.writeSlot(1, '1111', null);
    sim.user(0)!.type = 1; // a year-day user whose schedule is gone
    expect((await lock.readSlot(1)).schedule).toBeNull();
  });
});

describe('a lock that numbers users from 1 on endpoint 11 (Nimly-like)', () => {
  it('finds the Door Lock endpoint, maps slot 1 to user 1, battery in percent', async () => {
    bench = await ZigbeeBench.create();
    await bench.start();
    const sim = bench.network.add(simLock('from_one', ieee(1), { users: 10 }));
    const lock = await bench.pair(sim);
    expect(lock.capabilities?.slot_count).toBe(10);
    await lock.writeSlot(10, '1010', null);
    expect(sim.user(10)?.pin).toBe('1010');
    expect((await lock.readSlot(10)).code).toBe('1010');
    const used = next(lock, 'code_used');
    sim.enterCode('1010');
    expect(await used).toEqual([10, 'unlocked']);
    const battery = next(lock, 'battery');
    sim.setBattery(40);
    expect(await battery).toEqual([0.4]);
  });
});
