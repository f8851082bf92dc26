// Ports that are missing, vanish and come back (USB unplug, /dev/serial/by-id links), two locks at
// once, and a lock moved to another port. Unplug is killing socat; replug starts it again.
import { mkdir, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverError } from '../../../drivers/driver.ts';
import { Bench, lockOptions, record, until } from './harness.ts';

let bench: Bench;
beforeEach(async () => {
  bench = await Bench.create();
});
afterEach(async () => {
  await bench.cleanup();
});

const kindOf = async (promise: Promise<unknown>) =>
  (
    (await promise.then(
      () => null,
      (e: unknown) => e,
    )) as DriverError | null
  )?.kind;

describe('serial port life', () => {
  it('waits for a port missing at start, logging the outage once', async () => {
    const pair = await bench.pair('a', false);
    const { announced } = await bench.driver([{ name: 'Front door', path: pair.hostPath }]);
    await until(() => bench.logged('serial port unavailable').length > 0, 'the outage logged');
    await new Promise((resolve) => setTimeout(resolve, 300)); // several reopen attempts later, still one line
    expect(bench.logged('serial port unavailable')).toHaveLength(1);
    expect(announced).toHaveLength(0);

    await pair.plug();
    const sim = await bench.simulator(lockOptions('LK0300'), pair.lockPath);
    await until(() => announced[0]?.online === true, 'online once the port appears');
    await announced[0]!.writeSlot(1, '1234', null);
    expect(sim.model.codeIn(1)).toBe('1234');
    expect(bench.logged('serial port open again')).toHaveLength(1);
  });

  it('goes offline on unplug, refuses commands meanwhile, never sends them late, and is back on replug', async () => {
    const pair = await bench.pair('a');
    const sim = await bench.simulator(lockOptions('LK0301'), pair.lockPath);
    const { announced } = await bench.driver([{ name: 'Front door', path: pair.hostPath }]);
    await until(() => announced[0]?.online === true, 'online');
    const lock = announced[0]!;
    const seen = record(lock, ['offline', 'online']);
    const executed: string[] = [];
    sim.on('executed', (r) => executed.push(r.type));

    // A WRITE_SLOT in flight when the cable goes: it fails, and must not reach the lock later.
    sim.faults.silent = true;
    const inFlight = kindOf(lock.writeSlot(1, '1111', null));
    await new Promise<void>((resolve) => sim.once('received', () => resolve()));
    await pair.unplug();
    expect(await inFlight).toBe('offline');
    await until(() => !lock.online, 'offline');
    expect(await kindOf(lock.clearSlot(2))).toBe('offline');
    expect(await kindOf(lock.writeSlot(3, '3333', null))).toBe('offline');
    await new Promise((resolve) => setTimeout(resolve, 200)); // several reopen attempts
    expect(bench.logged('serial port unavailable')).toHaveLength(1);

    await pair.plug();
    sim.faults.silent = false;
    await sim.open(pair.lockPath);
    await until(() => lock.online, 'online after replug');
    await lock.readSlots(); // a full round trip after the reconnect: anything stale would be in by now
    expect(executed.filter((t) => t === 'write_slot' || t === 'clear_slot')).toEqual([]);
    expect(sim.model.occupiedSlots()).toEqual([]);
    expect(seen.map((e) => e[0])).toEqual(['offline', 'online']);
    await lock.writeSlot(1, '1111', null);
    expect(sim.model.writeCount).toBe(1);
  });

  it('follows a /dev/serial/by-id style link through unplug and replug', async () => {
    const pair = await bench.pair('a');
    const byId = join(bench.dir, 'serial', 'by-id');
    await mkdir(byId, { recursive: true });
    const link = join(byId, 'usb-lockwire_LK0302-if00');
    await symlink(pair.hostPath, link);
    const sim = await bench.simulator(lockOptions('LK0302'), pair.lockPath);
    const { announced } = await bench.driver([{ name: 'Front door', path: link }]);
    await until(() => announced[0]?.online === true, 'online through the link');
    await pair.unplug(); // the link dangles now, as udev leaves it until the device is back
    await until(() => !announced[0]!.online, 'offline');
    await pair.plug();
    await sim.open(pair.lockPath);
    await until(() => announced[0]!.online, 'online again through the link');
    await announced[0]!.writeSlot(4, '4444', null);
    expect(sim.model.codeIn(4)).toBe('4444');
  });

  it('notices a by-id link re-pointed to another device and talks to the lock there', async () => {
    const a = await bench.pair('a');
    const b = await bench.pair('b');
    await bench.simulator(lockOptions('LK0306'), a.lockPath);
    const simB = await bench.simulator(lockOptions('LK0307'), b.lockPath);
    const link = join(bench.dir, 'usb-lock-if00');
    await symlink(a.hostPath, link);
    const { announced } = await bench.driver([{ name: 'Front door', path: link }]);
    await until(() => announced[0]?.online === true, 'the first lock online');
    // Port a stays up: only the check that the path still leads to the opened device sees this.
    await unlink(link);
    await symlink(b.hostPath, link);
    await until(() => announced.length === 2 && announced[1]!.online, 'the second lock online');
    expect(announced.map((l) => l.identity)).toEqual(['lockwire:LK0306', 'lockwire:LK0307']);
    expect(announced[0]!.online).toBe(false);
    await announced[1]!.writeSlot(1, '1111', null);
    expect(simB.model.codeIn(1)).toBe('1111');
  });

  it('runs two serial locks at once, each with its own slots', async () => {
    const a = await bench.pair('a');
    const b = await bench.pair('b');
    const simA = await bench.simulator(lockOptions('LK0303'), a.lockPath);
    const simB = await bench.simulator(lockOptions('LK0304', { slots: 10 }), b.lockPath);
    const { announced } = await bench.driver([
      { name: 'Front door', path: a.hostPath },
      { name: 'Back door', path: b.hostPath },
    ]);
    await until(() => announced.length === 2 && announced.every((l) => l.online), 'both online');
    const byName = new Map(announced.map((l) => [l.name, l]));
    const front = byName.get('Front door')!;
    const back = byName.get('Back door')!;
    expect(front.identity).toBe('lockwire:LK0303');
    expect(back.identity).toBe('lockwire:LK0304');
    await Promise.all([
      front.writeSlot(1, '1111', null),
      back.writeSlot(1, '2222', null),
      front.writeSlot(2, '3333', null),
      back.writeSlot(2, '4444', null),
    ]);
    expect([simA.model.codeIn(1), simA.model.codeIn(2)]).toEqual(['1111', '3333']);
    expect([simB.model.codeIn(1), simB.model.codeIn(2)]).toEqual(['2222', '4444']);
    const [readA, readB] = await Promise.all([front.readSlots(), back.readSlots()]);
    expect([readA.length, readB.length]).toEqual([30, 10]);
    await b.unplug();
    await until(() => !back.online, 'back offline');
    expect(front.online).toBe(true);
    await front.clearSlot(1);
    expect(simA.model.codeIn(1)).toBeNull();
  });

  it('keeps a lock moved to another port as the same handle', async () => {
    const a = await bench.pair('a');
    const b = await bench.pair('b');
    const sim = await bench.simulator(lockOptions('LK0305'), a.lockPath);
    const { announced } = await bench.driver([
      { name: 'Front door', path: a.hostPath },
      { name: 'Spare port', path: b.hostPath },
    ]);
    await until(() => announced[0]?.online === true, 'online on port a');
    const lock = announced[0]!;
    await lock.writeSlot(1, '1111', null);
    await a.unplug();
    await until(() => !lock.online, 'offline');
    await sim.open(b.lockPath);
    await until(() => lock.online, 'online on port b');
    expect(announced).toHaveLength(1);
    expect(lock.identity).toBe('lockwire:LK0305');
    expect((await lock.readSlots())[0]!.code).toBe('1111');
  });
});
