// Store first, then ACK: an event from a lockwire lock is acknowledged only after the bridge's
// listener ran (it records the event in the store before it returns), and an event the listener
// could not record stays un-ACKed, so the lock sends it again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../drivers/serial/lockwire/events.ts';
import type { Frame } from '../../../drivers/serial/lockwire/frame.ts';
import { Link } from '../../../drivers/serial/lockwire/link.ts';
import { type LockEvent, Type } from '../../../drivers/serial/lockwire/messages.ts';
import { encodeFrame } from '../../../drivers/serial/lockwire/slip.ts';
import { Bench, FAST, lockOptions, until } from './harness.ts';

const ackOf = (frame: Frame) => encodeFrame({ seq: frame.seq, type: Type.ACK, payload: Buffer.alloc(0) });
const eventFrame = (seq: number, event: LockEvent): Frame => ({ seq, ...encodeEvent(event) });

/** A link on a fake wire: what it sends is kept, to see when the ACK leaves. */
function linkOnWire() {
  const sent: Buffer[] = [];
  const link = new Link({ response_timeout_ms: 1000 });
  link.connect((bytes) => sent.push(bytes));
  return { link, sent };
}

describe('the link ACKs an event only after its listener ran', () => {
  it('the ACK leaves after the listener returned, never before', () => {
    const { link, sent } = linkOnWire();
    const frame = eventFrame(7, { type: 'code_used', slot: 3, result: 'unlocked' });
    const sentWhileHandling: number[] = [];
    link.on('event', () => sentWhileHandling.push(sent.length));
    link.receive(frame);
    expect(sentWhileHandling).toEqual([0]); // nothing had left while the listener ran
    expect(sent).toEqual([ackOf(frame)]);
  });

  it('a listener that throws leaves the event un-ACKed; the re-send is handled and ACKed then', () => {
    const { link, sent } = linkOnWire();
    const frame = eventFrame(9, { type: 'wrong_code', attempts: 1 });
    const failures: string[] = [];
    link.on('event_failed', (event, error) => failures.push(`${event.type}: ${error.message}`));
    let storeFull = true;
    const recorded: LockEvent[] = [];
    link.on('event', (event) => {
      if (storeFull) throw new Error('database or disk is full');
      recorded.push(event);
    });

    link.receive(frame);
    expect(sent).toEqual([]); // not ACKed: the lock keeps it and sends it again
    expect(failures).toEqual(['wrong_code: database or disk is full']);

    storeFull = false;
    link.receive(frame); // the lock's re-send: the same SEQ and body
    expect(recorded).toEqual([{ type: 'wrong_code', attempts: 1 }]);
    expect(sent).toEqual([ackOf(frame)]);

    link.receive(frame); // its ACK was lost: ACKed again, not handled twice
    expect(recorded).toHaveLength(1);
    expect(sent).toEqual([ackOf(frame), ackOf(frame)]);
  });

  it('an event the owner can not take yet is neither handled nor ACKed', () => {
    const sent: Buffer[] = [];
    let adopted = false;
    const link = new Link({ response_timeout_ms: 1000, acceptEvent: () => adopted });
    link.connect((bytes) => sent.push(bytes));
    const handled: LockEvent[] = [];
    link.on('event', (event) => handled.push(event));
    const frame = eventFrame(4, { type: 'code_used', slot: 2, result: 'unlocked' });
    link.receive(frame);
    expect([handled, sent]).toEqual([[], []]);
    adopted = true;
    link.receive(frame); // the lock's re-send
    expect(handled).toHaveLength(1);
    expect(sent).toEqual([ackOf(frame)]);
  });

  it('an event it can not read is neither handled nor ACKed', () => {
    const { link, sent } = linkOnWire();
    let handled = 0;
    link.on('event', () => handled++);
    link.receive({ seq: 1, type: Type.EVT_CODE_USED, payload: Buffer.from([0]) });
    expect(handled).toBe(0);
    expect(sent).toEqual([]);
  });
});

describe('on a real pty with the lockwire simulator', () => {
  let bench: Bench;
  beforeEach(async () => {
    bench = await Bench.create();
  });
  afterEach(async () => {
    await bench.cleanup();
  });

  it('a keypad use reported while the driver is still finding out which lock this is reaches the listener', async () => {
    const pair = await bench.pair('a');
    const sim = await bench.simulator(
      lockOptions('LK0301', { event_resend_ms: 5, event_resends: 1000 }),
      pair.lockPath,
    );
    sim.model.write(3, '3456', null);
    sim.enterCode('3456'); // the lock keeps re-sending it every 5 ms until someone ACKs it
    const used: unknown[] = [];
    const { announced } = await bench.driver([{ name: 'Front door', path: pair.hostPath }], FAST, (lock) => {
      lock.on('code_used', (...args) => used.push(args));
    });
    await until(() => announced[0]?.online === true, 'the lock online');
    await until(() => sim.unacknowledgedEvents === 0, 'the event ACKed');
    expect(used).toEqual([[3, 'unlocked']]);
  });

  it('an event the bridge could not record is sent again by the lock, recorded once, logged once', async () => {
    const pair = await bench.pair('a');
    const sim = await bench.simulator(lockOptions('LK0300', { event_resend_ms: 50 }), pair.lockPath);
    const received: Frame[] = [];
    sim.on('received', (frame) => received.push(frame));
    let failuresLeft = 3;
    const recorded: number[] = [];
    const { announced } = await bench.driver([{ name: 'Front door', path: pair.hostPath }], FAST, (lock) => {
      lock.on('wrong_code', (attempts) => {
        if (failuresLeft > 0) {
          failuresLeft--;
          throw new Error('database or disk is full');
        }
        recorded.push(attempts);
      });
    });
    await until(() => announced[0]?.online === true, 'the lock online');

    sim.enterCode('0000');
    await until(
      () => recorded.length === 1 && sim.unacknowledgedEvents === 0,
      'the event recorded and ACKed',
    );
    expect(failuresLeft).toBe(0); // three sends failed to be recorded, the fourth was
    expect(recorded).toEqual([1]);
    const acks = received.filter((f) => f.type === Type.ACK);
    expect(acks).toHaveLength(1); // only the send that was recorded got its ACK
    expect(bench.logged('could not record a lock event')).toHaveLength(1);
  });
});
