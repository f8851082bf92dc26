// What a Zigbee lock says unprompted, as LockEvents: one report per bolt movement though the lock
// tells it twice (operation event and lockState report), keypad use, keypad programming (with the
// PIN when the event can be trusted, else a read), the bridge's own changes not taken for the
// keypad's, battery.
import { afterEach, describe, expect, it } from 'vitest';
import { simLock } from '../../../drivers/zigbee/simulator/lock-kinds.ts';
import { next, record } from '../serial/harness.ts';
import { ieee, until, ZigbeeBench } from './harness.ts';

let bench: ZigbeeBench;
afterEach(async () => bench?.cleanup());

async function paired(kind: Parameters<typeof simLock>[0] = 'reads_back', devices = {}) {
  bench = await ZigbeeBench.create();
  await bench.start({ devices });
  const sim = bench.network.add(simLock(kind, ieee(1)));
  const lock = await bench.pair(sim);
  return { sim, lock };
}

/** Lets the report settle time (40 ms here) pass twice over, by a frame's round trip. */
async function settled(lock: Awaited<ReturnType<typeof paired>>['lock']): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  await lock.readSlot(1);
}

describe('the bolt', () => {
  it("lock() and unlock(): one 'host' report each, though the lock echoes an RF operation and a lockState report", async () => {
    const { lock } = await paired();
    const seen = record(lock, ['lock_state']);
    await lock.unlock();
    await lock.lock();
    await settled(lock);
    expect(seen).toEqual([
      ['lock_state', 'unlocked', 'host', null],
      ['lock_state', 'locked', 'host', null],
    ]);
  });

  it('turned by hand: one manual report (the operation event wins over the lockState report)', async () => {
    const { sim, lock } = await paired();
    const seen = record(lock, ['lock_state']);
    sim.manual(false);
    await settled(lock);
    expect(seen).toEqual([['lock_state', 'unlocked', 'manual', null]]);
  });

  it('a lockState report with no operation event is reported after it settles, source unknown', async () => {
    const { sim, lock } = await paired();
    const seen = record(lock, ['lock_state']);
    sim.lockState = 2;
    sim.reportLockState();
    await until(() => seen.length === 1, 'the report');
    expect(seen).toEqual([['lock_state', 'unlocked', 'unknown', null]]);
    sim.reportLockState(); // the same again: nothing new
    await settled(lock);
    expect(seen).toHaveLength(1);
  });

  it('a keypad unlock is the code used (no separate bolt report)', async () => {
    const { sim, lock } = await paired();
    await lock.writeSlot(4, '4444', null);
    const seen = record(lock, ['lock_state', 'code_used']);
    sim.enterCode('4444');
    await until(() => seen.length > 0, 'code_used');
    await settled(lock);
    expect(seen).toEqual([['code_used', 4, 'unlocked']]);
  });
});

describe('keypad programming', () => {
  it("the bridge's own set and clear come back as RF programming events: not taken for changes", async () => {
    const { sim, lock } = await paired();
    const seen = record(lock, ['slot_changed']);
    await lock.writeSlot(2, '2222', null);
    await lock.clearSlot(2);
    await settled(lock);
    expect(seen).toEqual([]);
    // A change over the air that the bridge did not make is one.
    sim.programmingEvent(1, 2, 7, '7777', 0, 1);
    await until(() => seen.length === 1, 'slot_changed');
    expect(seen[0]).toEqual([
      'slot_changed',
      8,
      { slot: 8, state: 'enabled', code: '7777', origin: 'unknown', schedule: null },
    ]);
  });

  it('a lock whose events carry no PIN, or one that cannot be trusted: the slot is to be read', async () => {
    const { sim, lock } = await paired('reads_back', { [ieee(1)]: { programming_event_pin: false } });
    const changed = next(lock, 'slot_changed');
    sim.keypadProgram(4, '5555');
    expect(await changed).toEqual([5, null]);
  });

  it('every user deleted at once (no user id) reads the slots the bridge knows again', async () => {
    const { sim, lock } = await paired();
    const rebooted = next(lock, 'rebooted');
    sim.programmingEvent(0, 3, 0xffff, '', 0, 0);
    expect(await rebooted).toEqual([false]);
  });
});

describe('battery and door', () => {
  it('batteryPercentageRemaining in half percent; doorState', async () => {
    const { sim, lock } = await paired();
    const battery = next(lock, 'battery');
    sim.setBattery(15);
    expect(await battery).toEqual([0.15]);
    const door = next(lock, 'door_state');
    sim.sendRaw(0x0101, Buffer.from([0x18, 0x51, 0x0a, 0x03, 0x00, 0x30, 0x00]));
    expect(await door).toEqual(['open']);
  });
});
