// LockQueue alone, with scripted steps: when a key's step runs again, how many run at once, what a
// step that throws costs, and what stop() waits for.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LockQueue, type LockQueueOptions, type StepResult } from '../../src/reconciler/lock-queue.ts';
import { eventually } from '../helpers/api-client.ts';

interface Line {
  level: 'error' | 'info' | 'debug';
  fields: Record<string, unknown>;
  msg: string;
}

function recordingLog() {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (fields: Record<string, unknown>, msg: string) => {
    lines.push({ level, fields, msg });
  };
  const log = { error: at('error'), info: at('info'), debug: at('debug') };
  return { lines, log: log as unknown as LockQueueOptions['log'] };
}

/** A promise and the function that resolves it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

const NOTHING: StepResult = { again: false, lookAt: null };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const queues: LockQueue[] = [];
function queue(step: (key: string) => Promise<StepResult>, options: Partial<LockQueueOptions> = {}) {
  const q = new LockQueue(step, {
    concurrency: 4,
    backoff: { base_ms: 20, max_ms: 200 },
    now: Date.now,
    log: recordingLog().log,
    ...options,
  });
  queues.push(q);
  return q;
}
afterEach(async () => {
  vi.useRealTimers();
  for (const q of queues.splice(0)) await q.stop();
});

describe('LockQueue', () => {
  it('a step that did something (again: true) runs again at once, until it has nothing to do', async () => {
    const results = [true, true, false];
    let runs = 0;
    const q = queue(async () => ({ again: results[runs++] ?? false, lookAt: null }));
    q.wake('k');
    await q.idle();
    expect(runs).toBe(3);
    await sleep(50);
    expect(runs).toBe(3);
  });

  it('lookAt brings the key back at that time, not before, and not again after', async () => {
    const times: number[] = [];
    const q = queue(async () => {
      times.push(Date.now());
      return times.length === 1 ? { again: false, lookAt: Date.now() + 60 } : NOTHING;
    });
    q.wake('k');
    await q.idle();
    expect(times).toHaveLength(1);
    await eventually(() => times.length === 2, 2000, 'second run');
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(55);
    await sleep(100);
    expect(times).toHaveLength(2);
  });

  it('a lookAt already past is looked at a second later, not in a spin', async () => {
    vi.useFakeTimers();
    let runs = 0;
    const q = queue(async () => {
      runs++;
      return runs === 1 ? { again: false, lookAt: Date.now() - 10 } : NOTHING;
    });
    q.wake('k');
    await vi.advanceTimersByTimeAsync(990);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(20);
    expect(runs).toBe(2);
  });

  it('wakes during a running step cause exactly one more run, never a second step at once', async () => {
    const first = gate();
    let runs = 0;
    let running = 0;
    let maxRunning = 0;
    const q = queue(async () => {
      runs++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      if (runs === 1) await first.opened;
      running--;
      return NOTHING;
    });
    q.wake('k');
    await sleep(10);
    q.wake('k');
    q.wake('k');
    q.wake('k');
    await sleep(10);
    expect(runs).toBe(1);
    first.open();
    await q.idle();
    await sleep(50);
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('wakes that come while a key waits for its turn are served by that turn, not by a second step', async () => {
    const first = gate();
    const runs: string[] = [];
    const q = queue(
      async (key) => {
        runs.push(key);
        if (key === 'a') await first.opened;
        return NOTHING;
      },
      { concurrency: 1 },
    );
    q.wake('a');
    q.wake('b'); // waits for a's turn to end
    await sleep(10);
    q.wake('b');
    q.wake('b');
    first.open();
    await eventually(() => runs.length >= 2, 2000, 'b ran');
    await sleep(50);
    expect(runs).toEqual(['a', 'b']);
  });

  it('a thousand keys woken at once leave turns of the event loop to other work between their steps', async () => {
    let ran = 0;
    const q = queue(
      async () => {
        const until = performance.now() + 1; // a millisecond of work, no waiting
        while (performance.now() < until);
        ran++;
        return NOTHING;
      },
      { concurrency: 4 },
    );
    for (let k = 0; k < 1000; k++) q.wake(`k${k}`);
    // Queued once all are woken: it must get its turn long before the thousandth step (each step
    // handing its place to the next one waiting would run them all in this one turn).
    const seenAt = await new Promise<number>((resolve) => setImmediate(() => resolve(ran)));
    expect(seenAt).toBeLessThan(200);
    await eventually(() => ran === 1000, 20_000, 'every key');
  });

  it('a key woken after the loop idled (a lock answered) runs its step in that turn, without yielding first', async () => {
    const order: string[] = [];
    const q = queue(async () => {
      order.push('step');
      return NOTHING;
    });
    await sleep(30); // the loop idles, as it does while a lock takes its time: no turn's budget is spent
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        setImmediate(() => {
          order.push('next turn');
          resolve();
        });
        q.wake('a');
      }, 0),
    );
    // Counting the idle time against the turn made every step after a wait yield to the next turn
    // first: a lock's next command went out later than it could (bench:convergence 1.08 → 1.17).
    expect(order).toEqual(['step', 'next turn']);
  });

  it('runs at most `concurrency` keys at once, and every key in the end', async () => {
    let running = 0;
    let maxRunning = 0;
    const ran: string[] = [];
    const q = queue(
      async (key) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(30);
        running--;
        ran.push(key);
        return NOTHING;
      },
      { concurrency: 2 },
    );
    for (const key of ['a', 'b', 'c', 'd', 'e']) q.wake(key);
    await sleep(10);
    expect(running).toBe(2);
    await eventually(() => ran.length === 5, 2000, 'every key');
    expect(maxRunning).toBe(2);
    expect([...ran].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('a step that throws is retried after a growing backoff, logged at error once, and its recovery logged', async () => {
    const { lines, log } = recordingLog();
    const times: number[] = [];
    const q = queue(
      async () => {
        times.push(Date.now());
        if (times.length <= 3) throw new Error(`boom ${times.length}`);
        return NOTHING;
      },
      { backoff: { base_ms: 40, max_ms: 400 }, random: () => 0.5, log },
    );
    q.wake('k');
    await q.idle();
    expect(times).toHaveLength(1);
    expect(q.failures('k')).toBe(1);
    await eventually(() => times.length === 4, 3000, 'recovered');
    await q.idle();
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 40, 80, 160 ms (random 0.5: no jitter); a timer may fire a millisecond early against Date.now.
    expect(gaps[0]).toBeGreaterThanOrEqual(38);
    expect(gaps[1]).toBeGreaterThanOrEqual(78);
    expect(gaps[2]).toBeGreaterThanOrEqual(158);
    expect(q.failures('k')).toBe(0);
    expect(lines.map((l) => [l.level, l.msg, l.fields.failures, l.fields.retry_in_ms])).toEqual([
      ['error', 'reconcile step failed; retrying with backoff', 1, 40],
      ['debug', 'reconcile step failed again', 2, 80],
      ['debug', 'reconcile step failed again', 3, 160],
      ['info', 'reconcile step works again', 3, undefined],
    ]);
    await sleep(50);
    expect(times).toHaveLength(4);
  });

  it('stop() waits for the running step, and nothing runs after it', async () => {
    const step = gate();
    let runs = 0;
    const q = queue(async () => {
      runs++;
      await step.opened;
      return { again: true, lookAt: null }; // would run again if the queue were not stopped
    });
    q.wake('k');
    await sleep(10);
    let stopped = false;
    const stopping = q.stop().then(() => {
      stopped = true;
    });
    await sleep(30);
    expect(stopped).toBe(false);
    step.open();
    await stopping;
    expect(runs).toBe(1);
    q.wake('k');
    await sleep(30);
    expect(runs).toBe(1);
  });
});

describe('LockQueue.health and a bounded stop', () => {
  it('says which steps run since when and how many keys fail; stop(ms) gives up on a step that does not end', async () => {
    let now = 1000;
    const hold = gate();
    const q = queue(
      async (key) => {
        if (key === 'broken') throw new Error('boom');
        await hold.opened;
        return NOTHING;
      },
      { now: () => now },
    );
    expect(q.health()).toEqual({ running: 0, oldest_step_started_at: null, failing: 0 });
    try {
      q.wake('slow');
      await eventually(() => q.health().running === 1, 2000, 'the first step running');
      now = 2000;
      q.wake('other');
      q.wake('broken');
      await eventually(
        () => q.health().failing === 1 && q.health().running === 2,
        2000,
        'two running, one failing',
      );
      expect(q.health()).toEqual({ running: 2, oldest_step_started_at: 1000, failing: 1 });
      expect(await q.stop(50)).toBe(false); // the held steps outlast it
    } finally {
      hold.open();
    }
    expect(await q.idleWithin(1000)).toBe(true);
    expect(q.health().running).toBe(0);
  });
});
