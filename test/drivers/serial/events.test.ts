// Events from the lock: ACKed, de-duplicated, turned into LockEvents; reboots and factory resets.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LockHandle } from '../../../drivers/driver.ts';
import type { Frame } from '../../../drivers/serial/lockwire/frame.ts';
import { Type } from '../../../drivers/serial/lockwire/messages.ts';
import type { LockSimulator } from '../../../drivers/serial/simulator/lock-simulator.ts';
import { Bench, FAST, lockOptions, record, until } from './harness.ts';

let bench: Bench;
beforeEach(async () => {
  bench = await Bench.create();
});
afterEach(async () => {
  await bench.cleanup();
});

const EVENTS = [
  'code_used',
  'wrong_code',
  'lock_state',
  'battery',
  'slot_changed',
  'rebooted',
  'online',
  'offline',
] as const;

async function onlineLock(): Promise<{
  lock: LockHandle;
  sim: LockSimulator;
  seen: unknown[][];
  received: Frame[];
}> {
  const pair = await bench.pair('a');
  const sim = await bench.simulator(lockOptions('LK0200'), pair.lockPath);
  const received: Frame[] = [];
  sim.on('received', (frame) => received.push(frame));
  let seen: unknown[][] = [];
  const { announced } = await bench.driver([{ name: 'Front door', path: pair.hostPath }], FAST, (lock) => {
    seen = record(lock, [...EVENTS]);
  });
  await until(() => announced[0]?.online === true, 'the lock online');
  await until(() => seen.some((e) => e[0] === 'battery'), 'the status at connect');
  seen.length = 0;
  return { lock: announced[0]!, sim, seen, received };
}

describe('lockwire events', () => {
  it('reports codes used, wrong codes, lock states and battery, and ACKs each', async () => {
    const { sim, seen } = await onlineLock();
    sim.model.write(3, '3456', null);
    sim.model.write(4, '4567', { starts_at: Date.now() + 3_600_000, ends_at: Date.now() + 7_200_000 });
    sim.enterCode('3456');
    sim.enterCode('4567');
    sim.enterCode('0000');
    sim.enterCode('0001');
    sim.setBattery(37);
    await until(() => seen.length === 6, 'six events');
    expect(seen).toEqual([
      ['code_used', 3, 'unlocked'],
      ['lock_state', 'unlocked', 'keypad', 3],
      ['code_used', 4, 'rejected_schedule'],
      ['wrong_code', 1],
      ['wrong_code', 2],
      ['battery', 0.37],
    ]);
    await until(() => sim.unacknowledgedEvents === 0, 'every event ACKed');
  });

  it('handles an event re-sent because its ACK was lost once, and ACKs it again', async () => {
    const { sim, seen, received } = await onlineLock();
    sim.model.write(3, '3456', null);
    sim.faults.ignoreAcks(1);
    sim.enterCode('0000'); // EVT_WRONG_CODE; its first ACK is lost, so the lock sends it again
    await until(() => sim.unacknowledgedEvents === 0, 'the re-sent event ACKed');
    sim.enterCode('0000');
    await until(() => seen.length === 2, 'two events');
    expect(seen).toEqual([
      ['wrong_code', 1],
      ['wrong_code', 2],
    ]);
    expect(received.filter((f) => f.type === Type.ACK).length).toBeGreaterThanOrEqual(3);
  });

  it('reads a slot changed at the keypad and reports the reading', async () => {
    const { sim, seen } = await onlineLock();
    sim.keypadProgram(12, '24682468');
    await until(() => seen.length === 1, 'slot_changed');
    expect(seen[0]).toEqual([
      'slot_changed',
      12,
      { slot: 12, state: 'enabled', code: '24682468', origin: 'keypad', schedule: null },
    ]);
    sim.keypadProgram(12, null);
    await until(() => seen.length === 2, 'the slot emptied');
    expect(seen[1]).toEqual([
      'slot_changed',
      12,
      { slot: 12, state: 'empty', code: null, origin: 'unknown', schedule: null },
    ]);
  });
});

describe('lockwire reboots', () => {
  it('on EVT_BOOT reads INFO again, sets the clock, then reports the reboot; slots survive', async () => {
    const { lock, sim, seen } = await onlineLock();
    await lock.writeSlot(2, '2222', null);
    const executed: string[] = [];
    sim.on('executed', (r) => executed.push(r.type));
    sim.reboot(false);
    expect(sim.brain.clockOffset).toBeNull();
    await until(() => seen.length === 1, 'rebooted');
    expect(seen).toEqual([['rebooted', false]]);
    expect(executed).toEqual(['get_info', 'set_clock']);
    expect(sim.brain.clockOffset).not.toBeNull();
    expect(lock.online).toBe(true);
    expect((await lock.readSlots())[1]!.code).toBe('2222');
  });

  it('reports a factory reset, after which every slot reads empty', async () => {
    const { lock, sim, seen } = await onlineLock();
    await lock.writeSlot(2, '2222', null);
    await lock.writeSlot(3, '3333', null);
    sim.reboot(true);
    await until(() => seen.length === 1, 'rebooted');
    expect(seen).toEqual([['rebooted', true]]);
    const readings = await lock.readSlots();
    expect(readings.every((r) => r.state === 'empty')).toBe(true);
    // Programming again works at once.
    await lock.writeSlot(2, '2222', null);
    expect(sim.model.codeIn(2)).toBe('2222');
  });

  it('never logs a PIN', async () => {
    const { lock, sim } = await onlineLock();
    await lock.writeSlot(2, '80808080', null);
    await lock.writeSlot(3, '80808080', null).catch(() => undefined);
    sim.keypadProgram(5, '70707070');
    sim.enterCode('70707070');
    await lock.readSlots();
    await until(() => sim.unacknowledgedEvents === 0, 'events ACKed');
    const all = JSON.stringify(bench.lines);
    expect(bench.lines.length).toBeGreaterThan(0);
    expect(all).not.toContain('80808080');
    expect(all).not.toContain('70707070');
  });
});
