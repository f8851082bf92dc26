// vitest's fake timers fake performance.now() too, and vi.setSystemTime moves only the wall
// clock: exactly an NTP step, with the default clocks of ClockWatch.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClockWatch } from '../../src/clock/clock-watch.ts';

const HOUR = 3_600_000;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 10, 23, 9));
});

afterEach(() => {
  vi.useRealTimers();
});

function watch(options: { thresholdMs?: number } = {}) {
  const onStep = vi.fn<(deltaMs: number) => void>();
  const clockWatch = new ClockWatch({ onStep, ...options });
  clockWatch.start();
  return { onStep, clockWatch };
}

describe('ClockWatch', () => {
  it('reports a forward step (NTP correcting a clock that booted in the past)', () => {
    const { onStep, clockWatch } = watch();
    vi.advanceTimersByTime(5_000);
    vi.setSystemTime(Date.now() + HOUR);
    vi.advanceTimersByTime(1_000);
    expect(onStep).toHaveBeenCalledTimes(1);
    expect(onStep).toHaveBeenCalledWith(HOUR);
    clockWatch.stop();
  });

  it('reports a backward step', () => {
    const { onStep, clockWatch } = watch();
    vi.advanceTimersByTime(1_000);
    vi.setSystemTime(Date.now() - 24 * HOUR);
    vi.advanceTimersByTime(1_000);
    expect(onStep.mock.calls).toEqual([[-24 * HOUR]]);
    clockWatch.stop();
  });

  it('reports each step once, and stays quiet while the clocks agree', () => {
    const { onStep, clockWatch } = watch();
    vi.advanceTimersByTime(10 * 60_000);
    expect(onStep).not.toHaveBeenCalled();
    vi.setSystemTime(Date.now() + 10_000);
    vi.advanceTimersByTime(10 * 60_000);
    vi.setSystemTime(Date.now() - 10_000);
    vi.advanceTimersByTime(10 * 60_000);
    expect(onStep.mock.calls).toEqual([[10_000], [-10_000]]);
    clockWatch.stop();
  });

  it('ignores a correction within the threshold (slewing, timer jitter)', () => {
    const { onStep, clockWatch } = watch({ thresholdMs: 2_000 });
    vi.setSystemTime(Date.now() + 1_500);
    vi.advanceTimersByTime(5_000);
    expect(onStep).not.toHaveBeenCalled();
    clockWatch.stop();
  });

  it('reports nothing after stop()', () => {
    const { onStep, clockWatch } = watch();
    clockWatch.stop();
    vi.setSystemTime(Date.now() + HOUR);
    vi.advanceTimersByTime(5_000);
    expect(onStep).not.toHaveBeenCalled();
  });

  it('uses injected clocks, and check() can be called directly', () => {
    let wall = 1_000_000;
    let monotonic = 0;
    const onStep = vi.fn();
    const clockWatch = new ClockWatch({ onStep, wallNow: () => wall, monotonicNow: () => monotonic });
    wall += 60_000;
    monotonic += 1_000;
    clockWatch.check();
    expect(onStep).toHaveBeenCalledWith(59_000);
  });

  it('rejects a zero interval or threshold', () => {
    expect(() => new ClockWatch({ onStep: () => {}, intervalMs: 0 })).toThrow(RangeError);
    expect(() => new ClockWatch({ onStep: () => {}, thresholdMs: -1 })).toThrow(RangeError);
  });
});
