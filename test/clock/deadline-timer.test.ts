import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineTimer, MAX_TIMEOUT_MS } from '../../src/clock/deadline-timer.ts';

const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 23, 9);

describe('DeadlineTimer (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(START);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function timer() {
    const onDue = vi.fn<(now: number) => void>();
    return { onDue, deadlines: new DeadlineTimer(onDue) };
  }

  it('fires once, at the deadline, with the time it fired', () => {
    const { onDue, deadlines } = timer();
    deadlines.arm(START + 5_000);
    vi.advanceTimersByTime(4_999);
    expect(onDue).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onDue.mock.calls).toEqual([[START + 5_000]]);
    vi.advanceTimersByTime(DAY);
    expect(onDue).toHaveBeenCalledTimes(1);
    expect(deadlines.armedAt()).toBeNull();
  });

  it('waits 40 days in hops no longer than setTimeout allows', () => {
    // Node (and the fake timers) fire at once for a delay beyond 2^31-1 ms; fail loudly instead.
    const delays: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      if ((ms ?? 0) > MAX_TIMEOUT_MS) throw new Error(`setTimeout(${ms}) would overflow and fire at once`);
      delays.push(ms ?? 0);
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout);
    const { onDue, deadlines } = timer();
    deadlines.arm(START + 40 * DAY);
    vi.advanceTimersByTime(30 * DAY);
    expect(onDue).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10 * DAY - 1);
    expect(onDue).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onDue.mock.calls).toEqual([[START + 40 * DAY]]);
    expect(delays.length).toBeGreaterThan(1);
    spy.mockRestore();
  });

  it('re-armed earlier, fires at the earlier time only', () => {
    const { onDue, deadlines } = timer();
    deadlines.arm(START + 10_000);
    deadlines.arm(START + 5_000);
    vi.advanceTimersByTime(20_000);
    expect(onDue.mock.calls).toEqual([[START + 5_000]]);
  });

  it('re-armed later (the earliest code was deleted), does not fire at the old time', () => {
    const { onDue, deadlines } = timer();
    deadlines.arm(START + 5_000);
    deadlines.arm(START + 10_000);
    vi.advanceTimersByTime(9_999);
    expect(onDue).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onDue.mock.calls).toEqual([[START + 10_000]]);
  });

  it('armed with null or disarmed, never fires', () => {
    const { onDue, deadlines } = timer();
    deadlines.arm(START + 5_000);
    deadlines.arm(null);
    expect(deadlines.armedAt()).toBeNull();
    deadlines.arm(START + 6_000);
    deadlines.disarm();
    vi.advanceTimersByTime(DAY);
    expect(onDue).not.toHaveBeenCalled();
  });

  it('a deadline already past fires on the next turn, not inside arm()', () => {
    const { onDue, deadlines } = timer();
    deadlines.arm(START - DAY);
    expect(onDue).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(onDue.mock.calls).toEqual([[START]]);
  });

  it('the caller can arm the next deadline from inside onDue', () => {
    const fired: number[] = [];
    const deadlines: DeadlineTimer = new DeadlineTimer((now) => {
      fired.push(now);
      if (fired.length < 3) deadlines.arm(now + 1_000);
    });
    deadlines.arm(START + 1_000);
    vi.advanceTimersByTime(10_000);
    expect(fired).toEqual([START + 1_000, START + 2_000, START + 3_000]);
  });

  it('does not fire early when the wall clock is stepped back after arming', () => {
    const { onDue, deadlines } = timer();
    deadlines.arm(START + 60_000);
    vi.setSystemTime(START - 3_600_000);
    vi.advanceTimersByTime(60_000);
    expect(onDue).not.toHaveBeenCalled();
    vi.advanceTimersByTime(3_600_000);
    expect(onDue.mock.calls).toEqual([[START + 60_000]]);
  });

  it('uses the injected clock', () => {
    let now = 1_000;
    const onDue = vi.fn();
    const deadlines = new DeadlineTimer(onDue, () => now);
    deadlines.arm(6_000);
    now = 3_000; // the injected clock lags the timer: the wake-up is early, so it sleeps again
    vi.advanceTimersByTime(5_000);
    expect(onDue).not.toHaveBeenCalled();
    now = 6_000;
    vi.advanceTimersByTime(3_000);
    expect(onDue).toHaveBeenCalledWith(6_000);
  });

  it('rejects a deadline that is not a finite number', () => {
    const { deadlines } = timer();
    expect(() => deadlines.arm(Number.NaN)).toThrow(RangeError);
    expect(() => deadlines.arm(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('DeadlineTimer (real timers)', () => {
  it('arming 40 days ahead raises no TimeoutOverflowWarning and does not fire', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const onDue = vi.fn();
    const deadlines = new DeadlineTimer(onDue);
    try {
      deadlines.arm(Date.now() + 40 * DAY);
      // An overflowing setTimeout would fire after 1 ms and warn on the next tick.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
      expect(onDue).not.toHaveBeenCalled();
    } finally {
      deadlines.disarm();
      process.off('warning', onWarning);
    }
  });
});
