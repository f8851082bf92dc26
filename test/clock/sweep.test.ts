// The minute sweep, driven by vitest's fake timers (it schedules with setTimeout and Date.now()),
// and a real pino logger writing to memory.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Sweep, startSweep } from '../../src/clock/sweep.ts';

const MINUTE = 60_000;

let sweep: Sweep | null = null;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 10, 23, 9, 0, 30));
});

afterEach(() => {
  sweep?.stop();
  sweep = null;
  vi.useRealTimers();
});

function memoryLog() {
  const lines: Array<{ level: number; msg: string; err?: { message: string } }> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe('startSweep', () => {
  it('runs the task at each minute', async () => {
    const task = vi.fn();
    sweep = startSweep(task, memoryLog().log);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(task).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    expect(task).toHaveBeenCalledTimes(4);
  });

  it('logs a throwing or rejecting task and keeps sweeping', async () => {
    const { log, lines } = memoryLog();
    let runs = 0;
    sweep = startSweep(() => {
      runs++;
      if (runs === 1) throw new Error('store is locked');
      if (runs === 2) return Promise.reject(new Error('lock went away'));
    }, log);
    await vi.advanceTimersByTimeAsync(30_000 + 3 * MINUTE);
    expect(runs).toBe(4);
    const errors = lines.filter((line) => line.level === 50);
    expect(errors.map((line) => line.err?.message)).toEqual(['store is locked', 'lock went away']);
    expect(errors[0]?.msg).toContain('sweep');
  });

  it('stops, and leaves no timer behind', async () => {
    const task = vi.fn();
    const before = vi.getTimerCount();
    sweep = startSweep(task, memoryLog().log);
    expect(vi.getTimerCount()).toBeGreaterThan(before);
    sweep.stop();
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(task).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(before);
  });

  it('after the clock steps back, keeps sweeping each minute (a schedule by the wall clock alone would wait an hour)', async () => {
    const task = vi.fn();
    sweep = startSweep(task, memoryLog().log);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(task).toHaveBeenCalledTimes(1);
    vi.setSystemTime(Date.now() - 60 * MINUTE);
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(task).toHaveBeenCalledTimes(6);
  });

  it('after the clock steps forward, keeps sweeping without a warning per skipped minute', async () => {
    const { log, lines } = memoryLog();
    const task = vi.fn();
    sweep = startSweep(task, log);
    await vi.advanceTimersByTimeAsync(30_000);
    vi.setSystemTime(Date.now() + 24 * 60 * MINUTE);
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    expect(task).toHaveBeenCalledTimes(4);
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
  });

  it('restart() neither runs the task nor loses the schedule', async () => {
    const task = vi.fn();
    sweep = startSweep(task, memoryLog().log);
    sweep.restart();
    sweep.restart();
    expect(task).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(30_000 + 2 * MINUTE);
    expect(task).toHaveBeenCalledTimes(3);
  });

  it('holds while the clock reads 1970 and starts when NTP steps it to the present', async () => {
    vi.setSystemTime(Date.UTC(1970, 0, 1, 0, 0, 30));
    const task = vi.fn();
    sweep = startSweep(task, memoryLog().log);
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(task).not.toHaveBeenCalled();
    vi.setSystemTime(Date.UTC(2026, 10, 23, 9, 0, 30));
    await vi.advanceTimersByTimeAsync(30_000 + 2 * MINUTE);
    expect(task).toHaveBeenCalledTimes(3);
  });

  it('runNow runs the task at once and joins a run already under way', async () => {
    let finish: () => void = () => {};
    const task = vi.fn(() =>
      task.mock.calls.length === 1 ? new Promise<void>((resolve) => (finish = resolve)) : Promise.resolve(),
    );
    sweep = startSweep(task, memoryLog().log);
    const first = sweep.runNow();
    const second = sweep.runNow();
    expect(task).toHaveBeenCalledTimes(1);
    finish();
    await Promise.all([first, second]);
    await sweep.runNow();
    expect(task).toHaveBeenCalledTimes(2);
  });

  it('runs at whole minutes, and never twice for one minute when the wall clock reads a hair early', async () => {
    const task = vi.fn();
    sweep = startSweep(task, memoryLog().log);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(task).toHaveBeenCalledTimes(1);
    expect(Date.now() % MINUTE).toBe(0);
    vi.setSystemTime(Date.now() - 5); // slewed back a little, below the step threshold
    await vi.advanceTimersByTimeAsync(MINUTE - 1000);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(task).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(task).toHaveBeenCalledTimes(2);
  });
});
