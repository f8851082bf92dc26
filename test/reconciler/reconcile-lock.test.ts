// The reconciler alone: a Reconciler, an in-memory store and FakeLocks whose every command waits
// for the test's answer. No Bridge, no broker, no store file: what is sent, in what order, and
// what is in flight at any moment is seen command by command.
import { afterEach, describe, expect, it } from 'vitest';
import { writtenSlot } from '../../src/core/slot.ts';
import { eventually } from '../helpers/api-client.ts';
import { type FakeCall, FakeLock, type FakeLockOptions, InFlightCounter } from '../helpers/fake-lock.ts';
import { showsPin } from '../helpers/pins.ts';
import { type HarnessOptions, LEVEL, ReconcileHarness } from './reconcile-harness.ts';

const harnesses: ReconcileHarness[] = [];
function harness(options?: HarnessOptions): ReconcileHarness {
  const h = new ReconcileHarness(options);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const kinds = (calls: readonly FakeCall[]) => calls.map((c) => c.kind);
/** The fields of a call that say what was sent (not when). */
const what = (c: FakeCall) => ({ kind: c.kind, slot: c.slot, range: c.range });

/** A lock online and read in full (its first read answered), with nothing to do. */
async function onlineLock(options: FakeLockOptions = {}, harnessOptions?: HarnessOptions) {
  const h = harness(harnessOptions);
  const lock = new FakeLock(options);
  const deviceId = h.addLock(lock);
  lock.goOnline();
  expect(what(await lock.waitForPending())).toMatchObject({ kind: 'readSlots' });
  lock.answer('next');
  await eventually(() => h.store.devices.get(deviceId)!.slots_read_at !== null, 2000, 'first read');
  return { h, lock, deviceId };
}

/** Answers the oldest command once it comes, after checking what it is. */
async function expectAndAnswer(lock: FakeLock, expected: Partial<ReturnType<typeof what>>) {
  const call = await lock.waitForPending();
  expect(what(call)).toMatchObject(expected);
  lock.answer('next');
  return call;
}

const targeted = { mode: 'targeted', chunk: 3 } as const;

describe('reads before writes after a (re)connect', () => {
  it('full read policy: every connect and reconnect reads all slots before any write', async () => {
    const h = harness();
    const lock = new FakeLock();
    const deviceId = h.addLock(lock);
    const a = h.createCode(deviceId, '482916'); // waiting before the lock ever answered
    lock.goOnline();
    await expectAndAnswer(lock, { kind: 'readSlots', range: { first: 1, count: 10 } });
    await expectAndAnswer(lock, { kind: 'writeSlot', slot: 1 });
    await eventually(() => h.code(a)?.status === 'set', 2000, 'a set');

    lock.goOffline();
    const b = h.createCode(deviceId, '593027');
    lock.goOnline();
    await expectAndAnswer(lock, { kind: 'readSlots', range: { first: 1, count: 10 } });
    await expectAndAnswer(lock, { kind: 'writeSlot', slot: 2 });
    await eventually(() => h.code(b)?.status === 'set', 2000, 'b set');
    expect(kinds(lock.calls)).toEqual(['readSlots', 'writeSlot', 'readSlots', 'writeSlot']);
  });

  it('targeted: a never-read lock is read in full, 3 slots a step, resumable, a code created meanwhile written between two chunks', async () => {
    const h = harness();
    const lock = new FakeLock({ readPolicy: targeted, preset: { 2: '1111', 5: '2222' } });
    const deviceId = h.addLock(lock);
    lock.goOnline();
    expect(what(await lock.waitForPending())).toEqual({
      kind: 'readSlots',
      slot: null,
      range: { first: 1, count: 3 },
    });
    const a = h.createCode(deviceId, '482916'); // while the full read is under way
    lock.answer('next');
    // Slot 1 has been read: the code goes there now, between two chunks of the read.
    await expectAndAnswer(lock, { kind: 'writeSlot', slot: 1 });
    await expectAndAnswer(lock, { kind: 'readSlots', range: { first: 4, count: 3 } });
    expect(h.store.devices.get(deviceId)).toMatchObject({ slots_read_at: null, full_read_from: 7 });
    // The device's retained state shows how far the read has come.
    const retained = () =>
      h.store.retained.peek(0, 1000).filter((r) => r.kind === 'device' && r.id === deviceId);
    expect(JSON.parse(retained().at(-1)!.body!).properties.slot_read).toMatchObject({
      complete: false,
      next_slot: 7,
    });
    await expectAndAnswer(lock, { kind: 'readSlots', range: { first: 7, count: 3 } });
    await expectAndAnswer(lock, { kind: 'readSlots', range: { first: 10, count: 1 } });
    await eventually(() => h.code(a)?.status === 'set', 2000, 'a set');
    expect(kinds(lock.calls)).toEqual(['readSlots', 'writeSlot', 'readSlots', 'readSlots', 'readSlots']);
    expect(h.store.devices.get(deviceId)!.slots_read_at).not.toBeNull();
    expect(h.store.devices.get(deviceId)!.full_read_from).toBeNull();
    expect(JSON.parse(retained().at(-1)!.body!).properties.slot_read).toMatchObject({
      complete: true,
      next_slot: null,
    });
    expect(h.store.unmanaged.forDevice(deviceId).map((u) => u.slot)).toEqual([2, 5]);
  });

  // docs/behaviour.md: a radio lock is read in full "a few slots a step so codes are programmed
  // meanwhile" (drivers/driver.ts ReadPolicy: "so commands go on meanwhile").
  it('targeted (as documented): a code created during the chunked full read is written before the read finishes', async () => {
    const h = harness();
    const lock = new FakeLock({ readPolicy: targeted });
    const deviceId = h.addLock(lock);
    lock.goOnline();
    expect(what(await lock.waitForPending())).toMatchObject({ range: { first: 1, count: 3 } });
    h.createCode(deviceId, '482916');
    lock.respondWith(() => 'ok');
    await eventually(() => lock.sent('writeSlot').length === 1, 2000, 'written');
    const lastChunk = lock.calls.findIndex((c) => c.range?.first === 10);
    expect(lock.calls.findIndex((c) => c.kind === 'writeSlot')).toBeLessThan(lastChunk);
  });

  it('targeted, read in full once: a reconnect without a reboot reads nothing; a bridge restart and a reboot read only the slots the store knows of', async () => {
    const h = harness();
    const lock = new FakeLock({ readPolicy: targeted, preset: { 2: '1111', 5: '2222' } });
    const deviceId = h.addLock(lock);
    lock.respondWith(() => 'ok');
    lock.goOnline();
    const a = h.createCode(deviceId, '482916');
    await eventually(() => h.code(a)?.status === 'set', 2000, 'adopted');
    lock.respondWith(null);
    expect(h.store.slots.forDevice(deviceId).map((s) => s.slot)).toEqual([1, 2, 5]);

    // Offline and back, no reboot: nothing is read, the new code is written at once.
    lock.goOffline();
    const from = lock.calls.length;
    const b = h.createCode(deviceId, '593027');
    lock.goOnline();
    await expectAndAnswer(lock, { kind: 'writeSlot', slot: 3 });
    await eventually(() => h.code(b)?.status === 'set', 2000, 'b set');
    await sleep(50);
    expect(kinds(lock.calls.slice(from))).toEqual(['writeSlot']);

    // A fresh Reconciler (the bridge restarted): the known slots one by one, not a full read.
    /** After `cause`, the lock is asked for the slots it is known to hold, one by one, and nothing else. */
    const readsKnownSlots = async (cause: () => unknown, what: string) => {
      const since = lock.calls.length;
      await cause();
      await eventually(() => lock.calls.length - since >= 4, 2000, what);
      await sleep(50);
      expect(lock.calls.slice(since).map((c) => [c.kind, c.slot])).toEqual([
        ['readSlot', 1],
        ['readSlot', 2],
        ['readSlot', 3],
        ['readSlot', 5],
      ]);
    };
    lock.respondWith(() => 'ok');
    await readsKnownSlots(() => h.restartBridge(), 'targeted reads');

    // A reboot (no factory reset): the known slots again.
    await readsKnownSlots(() => lock.reboot(false), 'reads after reboot');
    expect([h.code(a)?.status, h.code(b)?.status]).toEqual(['set', 'set']);
  });

  it('targeted, slots_read_at set on the device row: the first connect after start reads only the known slot, and a code found in it is set without a rewrite', async () => {
    const h = harness();
    // As a previous run left it: a code written to slot 4 (confirmed), and a keypad code in slot 7
    // the store never heard of.
    const lock = new FakeLock({ readPolicy: targeted, preset: { 4: '482916', 7: '1111' } });
    const deviceId = h.addLock(lock);
    const a = h.createCode(deviceId, '482916');
    h.changes.slot(
      deviceId,
      writtenSlot({ kind: 'write', slot: 4, access_code_id: a, code: '482916', schedule: null }),
    );
    h.store.devices.save({ ...h.store.devices.get(deviceId)!, slots_read_at: Date.now() - 60_000 });

    lock.goOnline();
    await expectAndAnswer(lock, { kind: 'readSlot', slot: 4 });
    await eventually(() => h.code(a)?.status === 'set', 2000, 'a set');
    await sleep(100);
    expect(lock.calls.map((c) => [c.kind, c.slot])).toEqual([['readSlot', 4]]);
    expect(h.store.unmanaged.forDevice(deviceId)).toEqual([]);
  });
});

describe('clears before writes', () => {
  it('a deleted code is cleared before a new code is written, whatever order they came in', async () => {
    const { h, lock, deviceId } = await onlineLock();
    const a = h.createCode(deviceId, '482916');
    await expectAndAnswer(lock, { kind: 'writeSlot', slot: 1 });
    await eventually(() => h.code(a)?.status === 'set', 2000, 'a set');

    // A door action holds the lock while both changes arrive: the new code first, then the delete.
    const door = h.reconciler.actuate(deviceId, 'unlock');
    expect((await lock.waitForPending()).kind).toBe('unlock');
    const b = h.createCode(deviceId, '593027');
    h.deleteCode(a);
    lock.answer('next');
    await expect(door).resolves.toEqual({ ok: true });
    await expectAndAnswer(lock, { kind: 'clearSlot', slot: 1 });
    await expectAndAnswer(lock, { kind: 'writeSlot' });
    await eventually(() => h.code(b)?.status === 'set' && h.code(a) === undefined, 2000, 'b set, a gone');
    expect(kinds(lock.calls)).toEqual(['readSlots', 'writeSlot', 'unlock', 'clearSlot', 'writeSlot']);
  });

  it('after a reconnect, the urgent clear of a deleted code goes before the pending read, the write after it', async () => {
    const { h, lock, deviceId } = await onlineLock();
    const a = h.createCode(deviceId, '482916');
    await expectAndAnswer(lock, { kind: 'writeSlot', slot: 1 });
    await eventually(() => h.code(a)?.status === 'set', 2000, 'a set');
    lock.goOffline();
    h.deleteCode(a);
    expect(h.code(a)?.status).toBe('removing');
    const b = h.createCode(deviceId, '593027');
    const from = lock.calls.length;
    lock.goOnline();
    await expectAndAnswer(lock, { kind: 'clearSlot', slot: 1 });
    await expectAndAnswer(lock, { kind: 'readSlots', range: { first: 1, count: 10 } });
    await expectAndAnswer(lock, { kind: 'writeSlot', slot: 1 });
    await eventually(() => h.code(b)?.status === 'set' && h.code(a) === undefined, 2000, 'b set, a gone');
    expect(kinds(lock.calls.slice(from))).toEqual(['clearSlot', 'readSlots', 'writeSlot']);
  });
});

describe('one command in flight per lock', () => {
  it('while a write is unanswered nothing else is sent to that lock, even as more codes come', async () => {
    const { h, lock, deviceId } = await onlineLock();
    const a = h.createCode(deviceId, '482916');
    expect((await lock.waitForPending()).kind).toBe('writeSlot');
    const more = [h.createCode(deviceId, '593027'), h.createCode(deviceId, '604138')];
    await sleep(100);
    expect(lock.pending()).toHaveLength(1);
    lock.respondWith(() => 'ok');
    await eventually(() => [a, ...more].every((id) => h.code(id)?.status === 'set'), 2000, 'all set');
    expect(lock.maxInFlight).toBe(1);
    expect(lock.sent('writeSlot').map((c) => c.slot)).toEqual([1, 2, 3]);
  });

  it('a code changed while its lock works through earlier codes waits its turn, and is written once with its last PIN', async () => {
    const { h, lock, deviceId } = await onlineLock();
    const x = h.createCode(deviceId, '111999');
    await expectAndAnswer(lock, { kind: 'writeSlot', slot: 1 });
    await eventually(() => h.code(x)?.status === 'set', 2000, 'x set');

    // Three codes queue up; while the lock works through them, x gets a new PIN before each answer.
    const queued = [h.createCode(deviceId, '482916'), h.createCode(deviceId, '593027')];
    queued.push(h.createCode(deviceId, '604138'));
    for (const pin of ['222888', '333777', '444666']) {
      await lock.waitForPending();
      h.updateCode(x, pin);
      await sleep(20);
      lock.answer('next');
    }
    lock.respondWith(() => 'ok');
    await eventually(() => [x, ...queued].every((id) => h.code(id)?.status === 'set'), 2000, 'all set');
    // Asked first, written first: the three new codes, then x, once, with the PIN it has now.
    expect(lock.sent('writeSlot').map((c) => c.slot)).toEqual([1, 2, 3, 4, 1]);
    expect(lock.codeIn(1)).toBe('444666');
  });

  it('two locks have a command in flight at once under a limit of 2', async () => {
    const h = harness({ maxParallelLocks: 2 });
    const counter = new InFlightCounter();
    const [one, two] = [new FakeLock({ counter }), new FakeLock({ counter })];
    h.addLock(one);
    h.addLock(two);
    one.goOnline();
    two.goOnline();
    await eventually(() => one.pending().length === 1 && two.pending().length === 1, 2000, 'both reading');
    expect(counter.max).toBe(2);
  });

  it('under a limit of 1 the second lock waits until the first lock is answered', async () => {
    const h = harness({ maxParallelLocks: 1 });
    const counter = new InFlightCounter();
    const [one, two] = [new FakeLock({ counter }), new FakeLock({ counter })];
    const [d1, d2] = [h.addLock(one), h.addLock(two)];
    one.goOnline();
    expect((await one.waitForPending()).kind).toBe('readSlots');
    two.goOnline();
    await sleep(100);
    expect(two.pending()).toHaveLength(0);
    one.answer('next');
    expect((await two.waitForPending()).kind).toBe('readSlots');
    expect(one.pending()).toHaveLength(0);
    one.respondWith(() => 'ok');
    two.respondWith(() => 'ok');
    const codes = [h.createCode(d1, '482916'), h.createCode(d2, '593027'), h.createCode(d1, '604138')];
    await eventually(() => codes.every((id) => h.code(id)?.status === 'set'), 2000, 'all set');
    expect(counter.max).toBe(1);
  });
});

describe('retries', () => {
  it('a busy lock is retried after a delay that grows with each refusal, then the code is set', async () => {
    const { h, lock, deviceId } = await onlineLock();
    let refusals = 4;
    lock.respondWith((call) => (call.kind === 'writeSlot' && refusals-- > 0 ? 'busy' : 'ok'));
    const a = h.createCode(deviceId, '482916');
    await eventually(() => h.code(a)?.status === 'set', 3000, 'a set');
    const writes = lock.sent('writeSlot');
    expect(writes.map((w) => w.outcome)).toEqual(['busy', 'busy', 'busy', 'busy', 'ok']);
    // Backoff 20 ms doubling, ±20 %: 16–24, 32–48, 64–96, 128–192 ms (retries may go 5 ms early).
    const gaps = writes.slice(1).map((w, i) => w.sentAt - writes[i]!.answeredAt!);
    expect(gaps[0]).toBeGreaterThanOrEqual(10);
    expect(gaps[3]).toBeGreaterThanOrEqual(100);
    const delays = h.logged('lock did not confirm; will retry').map((l) => l.retry_in_ms as number);
    expect(delays).toHaveLength(4);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]!);
    expect(showsPin(JSON.stringify(h.log), '482916')).toBe(false);
  });

  it('outcome_unknown on a lock that can read codes: the slot is read before any rewrite; holding the code, it is set with no rewrite', async () => {
    const { h, lock, deviceId } = await onlineLock();
    const a = h.createCode(deviceId, '482916');
    expect(what(await lock.waitForPending())).toMatchObject({ kind: 'writeSlot', slot: 1 });
    lock.answer('next', { error: 'outcome_unknown', applied: true });
    await expectAndAnswer(lock, { kind: 'readSlot', slot: 1 });
    await eventually(() => h.code(a)?.status === 'set', 2000, 'a set');
    await sleep(300); // past the largest backoff
    expect(kinds(lock.calls)).toEqual(['readSlots', 'writeSlot', 'readSlot']);
  });

  it('outcome_unknown that did not land: the slot is read, then written again after backoff', async () => {
    const { h, lock, deviceId } = await onlineLock();
    const a = h.createCode(deviceId, '482916');
    const first = await lock.waitForPending();
    lock.answer('next', 'outcome_unknown');
    await expectAndAnswer(lock, { kind: 'readSlot', slot: 1 });
    const again = await expectAndAnswer(lock, { kind: 'writeSlot', slot: 1 });
    expect(again.sentAt - first.answeredAt!).toBeGreaterThanOrEqual(10);
    await eventually(() => h.code(a)?.status === 'set', 2000, 'a set');
    expect(kinds(lock.calls)).toEqual(['readSlots', 'writeSlot', 'readSlot', 'writeSlot']);
    expect(lock.codeIn(1)).toBe('482916');
  });

  it("outcome_unknown on a lock that can't read codes: status unknown, and the write is retried", async () => {
    const { h, lock, deviceId } = await onlineLock({ can_read_codes: false });
    const a = h.createCode(deviceId, '482916');
    expect((await lock.waitForPending()).kind).toBe('writeSlot');
    lock.answer('next', 'outcome_unknown');
    await eventually(() => h.code(a)?.status === 'unknown', 2000, 'unknown');
    expect(what(await lock.waitForPending())).toMatchObject({ kind: 'writeSlot', slot: 1 });
    expect(h.code(a)?.status).toBe('unknown');
    lock.answer('next');
    await eventually(() => h.code(a)?.status === 'set', 2000, 'a set');
    expect(kinds(lock.calls)).toEqual(['readSlots', 'writeSlot', 'writeSlot']);
  });
});

describe('suspension', () => {
  it('a permanent refusal fails the code with no retry; a reconnect resumes only codes failed with failed_to_set_on_device', async () => {
    // Long enough that the refusal comes first even on a loaded machine.
    const timing = { delay_warning_after_ms: 500, fail_after_ms: 1000 };
    const { h, lock, deviceId } = await onlineLock({}, { timing });
    const dup = h.createCode(deviceId, '731905');
    expect((await lock.waitForPending()).kind).toBe('writeSlot');
    lock.answer('next', { error: 'duplicate_code', other_slot: 4 });
    await eventually(() => h.code(dup)?.suspended, 2000, 'suspended');
    expect(h.code(dup)!.errors[0]).toMatchObject({ error_code: 'duplicate_code_on_device' });
    expect(h.code(dup)!.errors[0]!.message).toContain('slot 4');
    await sleep(300); // several backoff periods (20..200 ms)
    expect(lock.sent('writeSlot')).toHaveLength(1);

    // A code the lock never answered for fails with failed_to_set_on_device (fail_after 1 s)...
    lock.goOffline();
    const quiet = h.createCode(deviceId, '593027');
    await eventually(
      () => h.code(quiet)?.errors.some((e) => e.error_code === 'failed_to_set_on_device'),
      5000,
      'failed by time',
    );
    expect(h.code(quiet)!.suspended).toBe(true);

    // ...and only that one is tried again when the lock is back.
    lock.respondWith(() => 'ok');
    lock.goOnline();
    await eventually(() => h.code(quiet)?.status === 'set', 2000, 'quiet set');
    await sleep(300);
    expect(lock.sent('writeSlot')).toHaveLength(2);
    // The suspended code holds no slot, so slot 1 is free for the other code.
    expect(lock.sent('writeSlot').map((c) => c.slot)).toEqual([1, 1]);
    expect(lock.codeIn(1)).toBe('593027');
    expect(h.code(dup)).toMatchObject({ suspended: true, status: 'setting' });
  });

  // A code suspended after a permanent refusal holds no slot: it must not reserve one either, or on
  // a full lock a new code would fail with no_space_for_access_code_on_device beside an empty slot.
  it('a code suspended by a refusal does not keep the only empty slot from another code', async () => {
    const { h, lock, deviceId } = await onlineLock({ slots: 1 });
    const dup = h.createCode(deviceId, '731905');
    expect((await lock.waitForPending()).kind).toBe('writeSlot');
    lock.answer('next', { error: 'duplicate_code', other_slot: null });
    await eventually(() => h.code(dup)?.suspended, 2000, 'suspended');
    lock.respondWith(() => 'ok');
    const other = h.createCode(deviceId, '593027');
    await eventually(() => h.code(other)?.status === 'set', 1000, 'the other code set in slot 1');
  });
});

/** A lock whose capabilities getter throws `throwsLeft` times: an exception reconcileLock does not catch. */
class BrokenCapabilitiesLock extends FakeLock {
  throwsLeft = 0;
  override get capabilities() {
    if (this.throwsLeft > 0) {
      this.throwsLeft--;
      throw new Error('capabilities exploded');
    }
    return super.capabilities;
  }
}

describe('an unexpected exception in a step', () => {
  it('is retried with backoff, not lost, and logged once at error until the step works again', async () => {
    const h = harness();
    const lock = new BrokenCapabilitiesLock();
    const deviceId = h.addLock(lock);
    lock.goOnline();
    await expectAndAnswer(lock, { kind: 'readSlots' });
    await eventually(() => h.store.devices.get(deviceId)!.slots_read_at !== null, 2000, 'read');
    await sleep(20);

    lock.throwsLeft = 3;
    const t0 = Date.now();
    const a = h.createCode(deviceId, '482916');
    const write = await lock.waitForPending();
    expect(write.kind).toBe('writeSlot');
    expect(lock.throwsLeft).toBe(0);
    // Three backoffs of 20, 40 and 80 ms, ±20 %, before the step that works.
    expect(write.sentAt - t0).toBeGreaterThanOrEqual(100);
    lock.answer('next');
    await eventually(() => h.code(a)?.status === 'set', 2000, 'a set');
    await eventually(() => h.logged('reconcile step works again').length > 0, 2000, 'works again');

    const failed = h.logged('reconcile step failed; retrying with backoff');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: LEVEL.error, key: deviceId, failures: 1 });
    expect(h.logged('reconcile step failed again', LEVEL.debug)).toHaveLength(2);
    expect(h.log.filter((l) => l.level >= LEVEL.error)).toHaveLength(1);
    expect(h.logged('reconcile step works again')).toEqual([
      expect.objectContaining({ level: LEVEL.info, key: deviceId, failures: 3 }),
    ]);
  });
});

describe('door actions', () => {
  it('run between slot commands, never while one is in flight, and resolve ok once the lock answered', async () => {
    const { h, lock, deviceId } = await onlineLock();
    const a = h.createCode(deviceId, '482916');
    expect((await lock.waitForPending()).kind).toBe('writeSlot');
    const b = h.createCode(deviceId, '593027');
    let settled = false;
    const door = h.reconciler.actuate(deviceId, 'unlock').finally(() => {
      settled = true;
    });
    await sleep(50);
    expect(kinds(lock.pending())).toEqual(['writeSlot']);
    lock.answer('next');
    expect((await lock.waitForPending()).kind).toBe('unlock');
    expect(settled).toBe(false);
    lock.answer('next');
    await expect(door).resolves.toEqual({ ok: true });
    await expectAndAnswer(lock, { kind: 'writeSlot', slot: 2 });
    await eventually(() => h.code(a)?.status === 'set' && h.code(b)?.status === 'set', 2000, 'both set');
    expect(kinds(lock.calls)).toEqual(['readSlots', 'writeSlot', 'unlock', 'writeSlot']);
    expect(lock.maxInFlight).toBe(1);
  });

  it('on a lock that goes offline, queued actions resolve offline and are never sent', async () => {
    const { h, lock, deviceId } = await onlineLock();
    h.createCode(deviceId, '482916');
    expect((await lock.waitForPending()).kind).toBe('writeSlot');
    const queued = h.reconciler.actuate(deviceId, 'lock');
    lock.goOffline();
    await expect(queued).resolves.toEqual({ ok: false, reason: 'offline' });
    await expect(h.reconciler.actuate(deviceId, 'unlock')).resolves.toEqual({ ok: false, reason: 'offline' });
    expect(lock.sent('lock', 'unlock')).toEqual([]);
  });
});
