import { describe, expect, it, vi } from 'vitest';
import { BUILD_FLOOR_MS, clockFloor } from '../../src/clock/clock-floor.ts';
import { kernelClockSynchronised } from '../../src/clock/clock-sync.ts';
import { type ClockStatus, ClockTrust, describeClockStatus } from '../../src/clock/clock-trust.ts';

const DAY = 86_400_000;
const TODAY = Date.UTC(2026, 10, 23, 9);

function trust(opts: {
  now?: number;
  newestSeen?: number | null;
  requireSync?: boolean;
  sync?: boolean | null | Error;
}): ClockTrust {
  const sync = opts.sync === undefined ? true : opts.sync;
  return new ClockTrust({
    requireSync: opts.requireSync ?? false,
    floorMs: () => clockFloor(opts.newestSeen ?? null),
    syncProbe: () => (sync instanceof Error ? Promise.reject(sync) : Promise.resolve(sync)),
    now: () => opts.now ?? TODAY,
  });
}

describe('ClockTrust: the floor', () => {
  it('does not trust a clock that booted at the epoch', async () => {
    const status = await trust({ now: 0 }).evaluate();
    expect(status).toEqual({
      trusted: false,
      reason: 'clock_before_floor',
      now: 0,
      floor: BUILD_FLOOR_MS,
      synchronised: true,
    });
  });

  it('does not trust a clock one day before the build date, trusts one at it', async () => {
    expect((await trust({ now: BUILD_FLOOR_MS - DAY }).evaluate()).trusted).toBe(false);
    expect((await trust({ now: BUILD_FLOOR_MS }).evaluate()).trusted).toBe(true);
  });

  it('does not trust a clock behind the newest time the store has seen (fake-hwclock after a long outage)', async () => {
    const newestSeen = TODAY + 30 * DAY;
    const status = await trust({ now: TODAY, newestSeen }).evaluate();
    expect(status.trusted).toBe(false);
    expect(status.reason).toBe('clock_before_floor');
    expect(status.floor).toBe(clockFloor(newestSeen));
    expect((await trust({ now: TODAY + 31 * DAY, newestSeen }).evaluate()).trusted).toBe(true);
  });

  it('a non-finite clock reading is never trusted', async () => {
    expect((await trust({ now: Number.NaN }).evaluate()).trusted).toBe(false);
  });
});

describe('ClockTrust: synchronisation', () => {
  it('with require_clock_sync, a clock the system calls unsynchronised is not trusted', async () => {
    const status = await trust({ requireSync: true, sync: false }).evaluate();
    expect(status).toMatchObject({ trusted: false, reason: 'clock_not_synchronised', synchronised: false });
  });

  it('with require_clock_sync, a clock nobody can vouch for is not trusted (probe null or failing)', async () => {
    expect(await trust({ requireSync: true, sync: null }).evaluate()).toMatchObject({
      trusted: false,
      reason: 'clock_sync_unknown',
    });
    expect(await trust({ requireSync: true, sync: new Error('dbus down') }).evaluate()).toMatchObject({
      trusted: false,
      reason: 'clock_sync_unknown',
      synchronised: null,
    });
  });

  it('with require_clock_sync, a synchronised clock past the floor is trusted', async () => {
    expect(await trust({ requireSync: true, sync: true }).evaluate()).toMatchObject({
      trusted: true,
      reason: null,
    });
  });

  it('with require_clock_sync, synchronisation does not excuse a clock before the floor', async () => {
    expect(await trust({ requireSync: true, sync: true, now: 0 }).evaluate()).toMatchObject({
      trusted: false,
      reason: 'clock_before_floor',
    });
  });

  it('by default the sync verdict does not matter (containers and CI report an unsynchronised clock)', async () => {
    for (const sync of [false, null, new Error('no timedatectl')]) {
      expect(await trust({ sync }).evaluate()).toMatchObject({ trusted: true, reason: null });
    }
  });

  it('by default the clock of the machine running this test is trusted, whatever its kernel says', async () => {
    const clock = new ClockTrust({
      requireSync: false,
      floorMs: () => clockFloor(null),
      syncProbe: () => kernelClockSynchronised(),
      now: () => Date.now(),
    });
    const status = await clock.evaluate();
    expect(status.trusted).toBe(true);
  });
});

describe('ClockTrust: current() and changes', () => {
  it('is untrusted before the first evaluation and then reports the last verdict', async () => {
    let now = 0;
    const clock = new ClockTrust({
      requireSync: false,
      floorMs: () => BUILD_FLOOR_MS,
      syncProbe: async () => null,
      now: () => now,
    });
    expect(clock.current()).toMatchObject({ trusted: false, reason: 'clock_not_evaluated' });
    await clock.evaluate();
    expect(clock.current()).toMatchObject({ trusted: false, reason: 'clock_before_floor', now: 0 });
    now = TODAY;
    await clock.evaluate();
    expect(clock.current()).toMatchObject({ trusted: true, now: TODAY });
  });

  it('tells onChange about each change of verdict, once', async () => {
    let now = 0;
    const onChange = vi.fn<(status: ClockStatus, previous: ClockStatus) => void>();
    const clock = new ClockTrust({
      requireSync: false,
      floorMs: () => BUILD_FLOOR_MS,
      syncProbe: async () => null,
      now: () => now,
      onChange,
    });
    await clock.evaluate();
    await clock.evaluate();
    now = TODAY;
    await clock.evaluate();
    await clock.evaluate();
    expect(onChange.mock.calls.map(([s, p]) => [p.reason, s.reason])).toEqual([
      ['clock_not_evaluated', 'clock_before_floor'],
      ['clock_before_floor', null],
    ]);
  });

  it('when evaluations overlap, the one started last decides current()', async () => {
    const answers: Array<(v: boolean | null) => void> = [];
    const clock = new ClockTrust({
      requireSync: true,
      floorMs: () => BUILD_FLOOR_MS,
      syncProbe: () => new Promise((resolve) => answers.push(resolve)),
      now: () => TODAY,
    });
    const older = clock.evaluate();
    const newer = clock.evaluate();
    answers[1]?.(true);
    await newer;
    answers[0]?.(false);
    expect((await older).trusted).toBe(false);
    expect(clock.current().trusted).toBe(true);
  });

  it('describes each verdict for the log without throwing on absurd times', () => {
    const base = { now: TODAY, floor: BUILD_FLOOR_MS, synchronised: null };
    expect(describeClockStatus({ ...base, trusted: true, reason: null })).toContain('trusted');
    expect(describeClockStatus({ ...base, now: 0, trusted: false, reason: 'clock_before_floor' })).toContain(
      '1970-01-01T00:00:00.000Z',
    );
    expect(
      describeClockStatus({ ...base, now: 1e300, trusted: false, reason: 'clock_before_floor' }),
    ).toContain('1e+300');
    expect(describeClockStatus({ ...base, trusted: false, reason: 'clock_not_synchronised' })).toContain(
      'require_clock_sync',
    );
  });
});
