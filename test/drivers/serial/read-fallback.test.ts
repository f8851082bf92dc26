// Locks that answer GET_INFO but not READ_SLOTS (firmware that sends SLOTS frames past 245 bytes,
// which the driver rightly drops, or firmware without READ_SLOTS): the lock stays online, the
// driver asks for fewer slots at a time, then slot by slot with READ_SLOT, remembers what works and
// says so once. A lock that answers nothing still goes offline.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverError, type LockHandle } from '../../../drivers/driver.ts';
import type { Frame } from '../../../drivers/serial/lockwire/frame.ts';
import { Type } from '../../../drivers/serial/lockwire/messages.ts';
import { encodeResponse } from '../../../drivers/serial/lockwire/responses.ts';
import { encodeFrame } from '../../../drivers/serial/lockwire/slip.ts';
import type { LockSimulator } from '../../../drivers/serial/simulator/lock-simulator.ts';
import { Bench, lockOptions, record, until } from './harness.ts';

let bench: Bench;
beforeEach(async () => {
  bench = await Bench.create();
});
afterEach(async () => {
  await bench.cleanup();
});

const FALLBACK = 'the lock does not answer READ_SLOTS';
// Short, so each unanswered READ_SLOTS (4 sends, then a liveness GET_INFO of 4 sends) costs little.
const TIMEOUT_MS = 80;

async function onlineLock(
  serial: string,
): Promise<{ lock: LockHandle; sim: LockSimulator; received: Frame[] }> {
  const pair = await bench.pair('a');
  const sim = await bench.simulator(lockOptions(serial), pair.lockPath);
  const received: Frame[] = [];
  sim.on('received', (frame) => received.push(frame));
  const { announced } = await bench.driver([
    { name: 'Front door', path: pair.hostPath, response_timeout_ms: TIMEOUT_MS },
  ]);
  await until(() => announced[0]?.online === true, 'the lock online');
  return { lock: announced[0]!, sim, received };
}

/** 8-digit codes with schedules (21-byte records) in most slots, a keypad code and a disabled one. */
function fill(sim: LockSimulator): void {
  const window = { starts_at: 1_767_225_600_000, ends_at: 1_767_830_400_000 };
  for (let slot = 1; slot <= 30; slot++) {
    if (slot % 7 === 0) continue; // some empty slots
    sim.model.write(slot, String(40_000_000 + slot), slot % 2 === 0 ? window : null, 'host');
  }
  sim.model.write(29, '5678', null, 'keypad');
  sim.model.setEnabled(3, false);
}

/** The `count` of every READ_SLOTS frame sent (re-sends included), from index `from` on. */
const readSlotsCounts = (frames: Frame[], from = 0) =>
  frames.slice(from).flatMap((f) => (f.type === Type.READ_SLOTS ? [f.payload[2]!] : []));

describe('SerialLock: a lock that does not answer READ_SLOTS', () => {
  it('reads a lock whose firmware sends oversize SLOTS frames completely, with fewer slots at a time, staying online and warning once', async () => {
    const { lock, sim, received } = await onlineLock('LK0500');
    fill(sim);
    sim.faults.oversizeSlotsAbove = 5; // READ_SLOTS of 16 and of 8 slots get a frame past 245 bytes
    const seen = record(lock, ['offline', 'online']);

    const readings = await lock.readSlots();
    expect(readings).toEqual(sim.model.readAll());
    // 16 and 8 went unanswered through their re-sends (one SEQ each), then 4 at a time.
    const first = readSlotsCounts(received);
    expect(first.slice(0, 8)).toEqual([16, 16, 16, 16, 8, 8, 8, 8]);
    expect(first.slice(8)).toEqual([4, 4, 4, 4, 4, 4, 4, 2]); // 30 slots: the last request asks for 29..30

    // Later reads start at 4: no more timeouts, no more warnings.
    const mark = received.length;
    sim.model.write(30, '99887766', null, 'host');
    expect(await lock.readSlots()).toEqual(sim.model.readAll());
    expect(await lock.readSlots({ first: 10, count: 12 })).toEqual(sim.model.readAll().slice(9, 21));
    expect(readSlotsCounts(received, mark).every((count) => count <= 4)).toBe(true);
    expect(readSlotsCounts(received, mark)).toHaveLength(8 + 3); // 30 slots, then 12, 4 at a time

    expect(seen).toEqual([]); // never offline
    expect(lock.online).toBe(true);
    const warnings = bench.logged(FALLBACK);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, unanswered: 16, batch: 4 });
    expect(warnings[0]!.msg).toBe('the lock does not answer READ_SLOTS of 16 slots; reading 4 at a time');
    expect(bench.logged('lock does not answer; probing')).toHaveLength(0);
    expect(JSON.stringify(bench.lines)).not.toMatch(/\b(400000[0-3]\d|99887766)\b/); // no PIN in the log
  });

  it('reads a lock that ignores READ_SLOTS slot by slot with READ_SLOT', async () => {
    const { lock, sim, received } = await onlineLock('LK0501');
    fill(sim);
    sim.faults.ignoreReadSlots = true;
    const seen = record(lock, ['offline', 'online']);

    expect(await lock.readSlots()).toEqual(sim.model.readAll());
    // 16, 8, 4, 2 and 1 slots per READ_SLOTS, each sent 4 times, then READ_SLOT for every slot.
    expect(readSlotsCounts(received)).toEqual([16, 8, 4, 2, 1].flatMap((n) => [n, n, n, n]));
    const slots = received.filter((f) => f.type === Type.READ_SLOT).map((f) => f.payload.readUInt16BE(0));
    expect(slots).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

    // The next read goes straight to READ_SLOT.
    const mark = received.length;
    expect(await lock.readSlots({ first: 5, count: 3 })).toEqual(sim.model.readAll().slice(4, 7));
    expect(readSlotsCounts(received, mark)).toEqual([]);
    expect(received.slice(mark).filter((f) => f.type === Type.READ_SLOT)).toHaveLength(3);

    expect(seen).toEqual([]);
    expect(bench.logged(FALLBACK)).toHaveLength(1);
    expect(bench.logged(FALLBACK)[0]!.msg).toBe(
      'the lock does not answer READ_SLOTS of 16 slots; reading slots one by one with READ_SLOT',
    );
  });

  it('a lock that answers nothing still goes offline, and READ_SLOTS is not cut down for it', async () => {
    const { lock, sim, received } = await onlineLock('LK0502');
    const seen = record(lock, ['offline', 'online']);
    sim.faults.silent = true;

    const error = await lock.readSlots().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect((error as DriverError).kind).toBe('timeout');
    expect(lock.online).toBe(false);
    expect(readSlotsCounts(received)).toEqual([16, 16, 16, 16]); // no smaller READ_SLOTS to a silent lock
    expect(bench.logged('lock does not answer; probing')).toHaveLength(1);

    sim.faults.silent = false;
    await until(() => lock.online, 'online again');
    expect(seen.map((e) => e[0])).toEqual(['offline', 'online']);
    const mark = received.length;
    expect(await lock.readSlots()).toEqual(sim.model.readAll());
    expect(readSlotsCounts(received, mark)).toEqual([16, 14]);
    expect(bench.logged(FALLBACK)).toHaveLength(0);
  });

  it('a NAK to READ_SLOTS is the lock answering: the read fails with it, and the next asks for 16 again', async () => {
    const { lock, sim, received } = await onlineLock('LK0503');
    let nakNext = true;
    sim.on('received', (frame) => {
      if (frame.type !== Type.READ_SLOTS || !nakNext) return;
      nakNext = false; // the NAK arrives before the lock's own SLOTS, which is then stale
      const busy = encodeResponse({ type: 'nak', error: 'busy', other_slot: null });
      sim.noise(encodeFrame({ seq: frame.seq, ...busy }));
    });
    const error = await lock.readSlots().catch((e: unknown) => e);
    expect((error as DriverError).kind).toBe('busy');
    expect(lock.online).toBe(true);

    const mark = received.length;
    expect(await lock.readSlots()).toEqual(sim.model.readAll());
    expect(readSlotsCounts(received, mark)).toEqual([16, 14]);
    expect(bench.logged(FALLBACK)).toHaveLength(0);
  });
});
