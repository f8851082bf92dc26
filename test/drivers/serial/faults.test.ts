// What the link does when the line or the lock misbehaves: noise, corrupted and lost responses
// (the lock must see the same SEQ again and not act twice), and a lock that stops answering.
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

async function onlineLock(): Promise<{ lock: LockHandle; sim: LockSimulator; received: Frame[] }> {
  const pair = await bench.pair('a');
  const sim = await bench.simulator(lockOptions('LK0100'), pair.lockPath);
  const received: Frame[] = [];
  sim.on('received', (frame) => received.push(frame));
  const { announced } = await bench.driver([{ name: 'Front door', path: pair.hostPath }]);
  await until(() => announced[0]?.online === true, 'the lock online');
  return { lock: announced[0]!, sim, received };
}

const writes = (frames: Frame[]) => frames.filter((f) => f.type === Type.WRITE_SLOT);

describe('lockwire link over a pty: faults on the line', () => {
  it('works through noise between every frame', async () => {
    const { lock, sim } = await onlineLock();
    sim.faults.noisy = true;
    sim.noise();
    await lock.writeSlot(1, '1111', null);
    sim.noise(Buffer.alloc(300, 0x42)); // a long burst with no END in it
    await lock.writeSlot(2, '2222', null);
    const readings = await lock.readSlots();
    expect(readings.slice(0, 2).map((r) => r.code)).toEqual(['1111', '2222']);
    expect(sim.model.writeCount).toBe(2);
  });

  it('re-sends with the same SEQ after a corrupted response; the lock acts once', async () => {
    const { lock, sim, received } = await onlineLock();
    sim.faults.corruptFrames(1);
    await lock.writeSlot(3, '3333', null);
    const sent = writes(received);
    expect(sent.length).toBeGreaterThanOrEqual(2); // the corrupted ACK was dropped, so it asked again
    expect(new Set(sent.map((f) => f.seq)).size).toBe(1);
    expect(sim.model.writeCount).toBe(1);
    expect(sim.model.codeIn(3)).toBe('3333');
  });

  it('re-sends after a lost response; the lock answers the duplicate SEQ from memory', async () => {
    const { lock, sim, received } = await onlineLock();
    const executed: string[] = [];
    sim.on('executed', (r) => executed.push(r.type));
    sim.faults.loseResponses(1);
    await lock.writeSlot(4, '4444', null);
    expect(writes(received).length).toBeGreaterThanOrEqual(2);
    expect(new Set(writes(received).map((f) => f.seq)).size).toBe(1);
    expect(executed.filter((t) => t === 'write_slot')).toHaveLength(1);
    expect(sim.model.writeCount).toBe(1);

    // The same for UNLOCK: a door must not be actuated twice for one request.
    sim.faults.loseResponses(1);
    await lock.unlock();
    expect(executed.filter((t) => t === 'unlock')).toHaveLength(1);
  });

  it('a re-sent WRITE_SLOT whose first answer was lost is not refused as a duplicate of itself', async () => {
    const { lock, sim } = await onlineLock();
    sim.faults.loseResponses(1);
    // Executed twice, the second write would meet its own code and the lock answer duplicate_code.
    await expect(lock.writeSlot(5, '5555', null)).resolves.toBeUndefined();
    expect(sim.model.slot(5).code).toBe('5555');
  });

  it('gives up after 3 re-sends (the outcome of a write is then unknown), goes offline, and comes back through GET_INFO probes', async () => {
    const { lock, sim, received } = await onlineLock();
    const seen = record(lock, ['offline', 'online']);
    sim.faults.silent = true;
    const error = await lock.writeSlot(6, '6666', null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect((error as DriverError).kind).toBe('outcome_unknown');
    expect(writes(received)).toHaveLength(4); // the first send and exactly 3 re-sends
    // Then one GET_INFO (4 sends, one SEQ) asked whether the lock answers at all, before it went offline.
    const infos = () => received.filter((f) => f.type === Type.GET_INFO);
    const afterWrites = received.slice(received.lastIndexOf(writes(received).at(-1)!) + 1);
    const liveness = afterWrites.filter((f) => f.type === Type.GET_INFO);
    expect(liveness).toHaveLength(4);
    expect(new Set(liveness.map((f) => f.seq)).size).toBe(1);
    expect(sim.model.writeCount).toBe(0);
    expect(lock.online).toBe(false);
    const offline = await lock.clearSlot(6).catch((e: unknown) => e);
    expect((offline as DriverError).kind).toBe('offline');

    // Counted from here: the liveness check's 4 GET_INFO frames alone would meet the old `>= 3`
    // (counted from the start) without a single probe.
    const beforeProbes = infos().length;
    await until(() => infos().length >= beforeProbes + 3, 'GET_INFO probes');
    expect(writes(received)).toHaveLength(4); // nothing queued behind the silence goes out
    sim.faults.silent = false;
    await until(() => lock.online, 'online again');
    expect(seen.map((e) => e[0])).toEqual(['offline', 'online']);
    expect(bench.logged('lock does not answer')).toHaveLength(1);
    await lock.writeSlot(6, '6666', null);
    expect(sim.model.writeCount).toBe(1);
  });
});

describe('lockwire link: responses that do not match', () => {
  it('ignores a response with another SEQ and a response of the wrong type', async () => {
    const { lock, sim } = await onlineLock();
    // Before the real answer, the lock sends a SLOT with a SEQ one off (claiming another PIN) and
    // an ACK with the right SEQ: neither may settle the READ_SLOT.
    sim.on('received', (frame) => {
      if (frame.type !== Type.READ_SLOT) return;
      const stale = encodeResponse({
        type: 'slot',
        record: { slot: 9, state: 'enabled', origin: 'host', code: '0000', starts_at: 0, ends_at: 0 },
      });
      sim.noise(encodeFrame({ seq: (frame.seq + 1) & 0xff, ...stale }));
      sim.noise(encodeFrame({ seq: frame.seq, type: Type.ACK, payload: Buffer.alloc(0) }));
    });
    sim.keypadProgram(9, '9999'); // EVT_SLOT_CHANGED: the driver reads slot 9 with READ_SLOT
    const reading = await new Promise((resolve) => lock.once('slot_changed', (_slot, r) => resolve(r)));
    expect(reading).toMatchObject({ slot: 9, code: '9999', origin: 'keypad' });
  });
});
