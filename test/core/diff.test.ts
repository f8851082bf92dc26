// The diff engine, by examples and by properties over random desired and observed states
// (a seeded generator: a failure names its seed, so it can be replayed).
import { describe, expect, it } from 'vitest';
import { applyOperation, diffLock } from '../../src/core/diff.ts';
import { type DesiredCode, emptySlot, type ObservedSlot, type SlotOperation } from '../../src/core/slot.ts';
import { prng } from '../helpers/prng.ts';

const desired = (id: string, code: string): DesiredCode => ({ access_code_id: id, code, schedule: null });
/** A slot the lock confirmed holding `code` for `owner`; or, not confirmed, one with that write out. */
const held = (slot: number, owner: string, code: string, confirmed = true): ObservedSlot =>
  confirmed
    ? { slot, state: 'occupied', code, schedule: null, owner, unmanaged_id: null, pending: null }
    : { ...emptySlot(slot), pending: { owner, code, schedule: null } };
const unmanaged = (slot: number, id: string, code: string | null): ObservedSlot => ({
  slot,
  state: 'occupied',
  code,
  schedule: null,
  owner: null,
  unmanaged_id: id,
  pending: null,
});

describe('diffLock by example', () => {
  it('writes a new code into the lowest free slot', () => {
    const { operations } = diffLock({
      slotCount: 5,
      desired: [desired('a', '1357')],
      observed: [unmanaged(1, 'u', '9999')],
    });
    expect(operations).toEqual([
      { kind: 'write', slot: 2, access_code_id: 'a', code: '1357', schedule: null },
    ]);
  });

  it('costs nothing when the slot already holds the code', () => {
    expect(
      diffLock({ slotCount: 5, desired: [desired('a', '1357')], observed: [held(3, 'a', '1357')] })
        .operations,
    ).toEqual([]);
  });

  it('rewrites a changed PIN in the same slot', () => {
    const { operations } = diffLock({
      slotCount: 5,
      desired: [desired('a', '2468')],
      observed: [held(3, 'a', '1357')],
    });
    expect(operations).toEqual([
      { kind: 'write', slot: 3, access_code_id: 'a', code: '2468', schedule: null },
    ]);
  });

  it('writes again a slot whose write was never confirmed (a crash mid-write)', () => {
    const { operations } = diffLock({
      slotCount: 5,
      desired: [desired('a', '1357')],
      observed: [held(2, 'a', '1357', false)],
    });
    expect(operations).toEqual([
      { kind: 'write', slot: 2, access_code_id: 'a', code: '1357', schedule: null },
    ]);
  });

  it('clears a slot whose code is no longer desired, also one whose write is in doubt', () => {
    const { operations } = diffLock({
      slotCount: 5,
      desired: [],
      observed: [held(2, 'gone', '1357'), held(4, 'doubt', '2468', false)],
    });
    expect(operations).toEqual([
      { kind: 'clear', slot: 2, access_code_id: 'gone', unmanaged_id: null },
      { kind: 'clear', slot: 4, access_code_id: 'doubt', unmanaged_id: null },
    ]);
  });

  it('never touches an unmanaged code unless asked to clear it', () => {
    const observed = [unmanaged(1, 'u1', '1111'), unmanaged(2, 'u2', null)];
    expect(diffLock({ slotCount: 2, desired: [], observed }).operations).toEqual([]);
    expect(
      diffLock({ slotCount: 2, desired: [], observed, clearUnmanaged: new Set(['u2']) }).operations,
    ).toEqual([{ kind: 'clear', slot: 2, access_code_id: null, unmanaged_id: 'u2' }]);
  });

  it('reports codes that find no free slot instead of overwriting one', () => {
    const { operations, unplaced } = diffLock({
      slotCount: 2,
      desired: [desired('a', '1357'), desired('b', '2468')],
      observed: [unmanaged(1, 'u', '9999')],
    });
    expect(operations).toEqual([
      { kind: 'write', slot: 2, access_code_id: 'a', code: '1357', schedule: null },
    ]);
    expect(unplaced).toEqual(['b']);
  });

  it('keeps one copy of a code found in two slots and clears the other', () => {
    const { operations } = diffLock({
      slotCount: 5,
      desired: [desired('a', '1357')],
      observed: [held(1, 'a', '1357'), held(4, 'a', '1357')],
    });
    expect(operations).toEqual([{ kind: 'clear', slot: 4, access_code_id: 'a', unmanaged_id: null }]);
  });

  it('moves a native schedule change onto the lock', () => {
    const want = { access_code_id: 'a', code: '1357', schedule: { starts_at: 10_000, ends_at: 20_000 } };
    const slot = { ...held(1, 'a', '1357'), schedule: { starts_at: 10_000, ends_at: 30_000 } };
    expect(diffLock({ slotCount: 2, desired: [want], observed: [slot] }).operations).toHaveLength(1);
    expect(
      diffLock({ slotCount: 2, desired: [want], observed: [{ ...slot, schedule: want.schedule }] })
        .operations,
    ).toEqual([]);
  });
});

// ---- properties ----

interface Case {
  slotCount: number;
  desired: DesiredCode[];
  observed: ObservedSlot[];
  clearUnmanaged: Set<string>;
}

/** A lock in any state the bridge can find it in: ours, stale, in doubt, unmanaged, unknown, empty. */
function randomCase(seed: number): Case {
  const rnd = prng(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const slotCount = 1 + pick(12);
  const pin = () => String(1000 + pick(9000));
  const desiredCodes = Array.from({ length: pick(slotCount + 3) }, (_, i) => desired(`c${i}`, pin()));
  const observed: ObservedSlot[] = [];
  const clearUnmanaged = new Set<string>();
  for (let slot = 1; slot <= slotCount; slot++) {
    const want = desiredCodes[pick(desiredCodes.length + 1)];
    switch (pick(7)) {
      case 0:
        break; // absent: empty
      case 1:
        if (want) observed.push(held(slot, want.access_code_id, want.code)); // already right
        break;
      case 2:
        if (want) observed.push(held(slot, want.access_code_id, pin(), rnd() < 0.5)); // stale or in doubt
        break;
      case 3:
        observed.push(held(slot, `deleted${slot}`, pin(), rnd() < 0.5));
        break;
      case 4: {
        const id = `u${slot}`;
        observed.push(unmanaged(slot, id, rnd() < 0.5 ? pin() : null));
        if (rnd() < 0.3) clearUnmanaged.add(id);
        break;
      }
      case 5:
        observed.push({ ...held(slot, 'x', pin()), owner: null }); // unknown origin
        break;
      default:
        observed.push({ ...held(slot, 'x', '0'), state: 'empty', code: null, owner: null }); // known empty
    }
  }
  return { slotCount, desired: desiredCodes, observed, clearUnmanaged };
}

function applyAll(observed: ObservedSlot[], ops: SlotOperation[]): ObservedSlot[] {
  return ops.reduce(applyOperation, observed);
}

const CASES = 3000;

describe('diffLock properties', () => {
  it('applying the operations and diffing again yields nothing (when every code found a slot)', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const c = randomCase(seed);
      const first = diffLock(c);
      const after = applyAll(c.observed, first.operations);
      const second = diffLock({ ...c, observed: after, clearUnmanaged: new Set() });
      if (first.unplaced.length === 0) expect(second.operations, `seed ${seed}`).toEqual([]);
      // Slots freed by clears serve the unplaced codes in the next round; then it is still.
      const third = diffLock({
        ...c,
        observed: applyAll(after, second.operations),
        clearUnmanaged: new Set(),
      });
      expect(third.operations, `seed ${seed}`).toEqual([]);
    }
  });

  it('a slot that already holds its desired code costs nothing', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const c = randomCase(seed);
      const wanted = new Map(c.desired.map((d) => [d.access_code_id, d.code]));
      const right = c.observed.filter(
        (s) => s.pending === null && s.owner !== null && wanted.get(s.owner) === s.code,
      );
      const firstRight = new Map<string, number>();
      for (const s of right) if (!firstRight.has(s.owner!)) firstRight.set(s.owner!, s.slot);
      const touched = new Set(diffLock(c).operations.map((o) => o.slot));
      for (const slot of firstRight.values())
        expect(touched.has(slot), `seed ${seed} slot ${slot}`).toBe(false);
    }
  });

  it('never touches a code the bridge did not write unless asked', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const c = randomCase(seed);
      const foreign = new Map(
        c.observed.filter((s) => s.owner === null && s.state === 'occupied').map((s) => [s.slot, s]),
      );
      for (const op of diffLock(c).operations) {
        const slot = foreign.get(op.slot);
        if (!slot) continue;
        expect(op.kind, `seed ${seed}`).toBe('clear');
        expect(slot.unmanaged_id !== null && c.clearUnmanaged.has(slot.unmanaged_id), `seed ${seed}`).toBe(
          true,
        );
      }
    }
  });

  it('ends with each desired code in exactly one slot and nothing else of ours on the lock', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const c = randomCase(seed);
      let observed = c.observed;
      let clearUnmanaged = c.clearUnmanaged;
      for (let round = 0; round < 3; round++) {
        const { operations } = diffLock({ ...c, observed, clearUnmanaged });
        const slots = operations.map((o) => o.slot);
        expect(new Set(slots).size, `seed ${seed}: one operation per slot`).toBe(slots.length);
        observed = applyAll(observed, operations);
        clearUnmanaged = new Set();
      }
      const { unplaced } = diffLock({ ...c, observed });
      const ours = observed.filter((s) => s.owner !== null && s.state === 'occupied');
      const wanted = new Map(c.desired.map((d) => [d.access_code_id, d.code]));
      for (const s of ours) expect(wanted.get(s.owner!), `seed ${seed} slot ${s.slot}`).toBe(s.code);
      expect(ours.length + unplaced.length, `seed ${seed}`).toBe(c.desired.length);
    }
  });

  it('writes at most once per desired code that is not already right', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const c = randomCase(seed);
      const writes = diffLock(c).operations.filter((o) => o.kind === 'write');
      expect(
        new Set(writes.map((w) => (w.kind === 'write' ? w.access_code_id : ''))).size,
        `seed ${seed}`,
      ).toBe(writes.length);
    }
  });
});
