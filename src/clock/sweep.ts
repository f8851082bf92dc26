// The safety net under the deadline timer: once a minute, re-check every time window from the
// store, so a missed or mis-armed timer costs at most a minute, never a code left on a lock.
//
// A timer to the next whole minute of the wall clock, planned again after each run and whenever
// the clock steps (node-cron did this before; it cost 7 MiB of resident memory and 45 ms at start,
// for an expression that only ever said "every minute").
import type { Logger } from 'pino';
import { BUILD_FLOOR_MS } from './clock-floor.ts';
import { ClockWatch } from './clock-watch.ts';

export type SweepLog = Pick<Logger, 'error' | 'warn' | 'debug'>;

const MINUTE_MS = 60_000;
/** A run never plans the next one closer than this (a wall clock slewed a hair behind :00). */
const MIN_GAP_MS = 1_000;

export interface Sweep {
  /** Runs the task now (e.g. when the clock becomes trusted or steps); joins a run already under way. */
  runNow(): Promise<void>;
  /**
   * Plans the next run from the wall clock as it is now. The sweep does this itself within a
   * second of a clock step; calling it again is harmless.
   */
  restart(): void;
  stop(): void;
}

export interface SweepOptions {
  /** Also told of every wall-clock step, after the sweep re-planned itself (one watch serves both). */
  onStep?: (deltaMs: number) => void;
}

/**
 * Runs task at each whole minute. A throwing or rejecting task is logged, never thrown; a run
 * still going at the next minute makes that minute's run join it rather than stack. It does not
 * run the task when the wall clock steps: options.onStep hears of the step and decides.
 *
 * While the wall clock reads before the build date it does not sweep (there is nothing the
 * bridge may do on such a clock); it starts by itself when the clock is stepped past it.
 */
export function startSweep(
  task: () => void | Promise<void>,
  log: SweepLog,
  options: SweepOptions = {},
): Sweep {
  let inFlight: Promise<void> | null = null;
  const runNow = (): Promise<void> => {
    inFlight ??= runLogged(task, log).finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  let timer: NodeJS.Timeout | null = null;
  const cancel = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const plan = (minGapMs: number): void => {
    cancel();
    const now = Date.now();
    let wait = MINUTE_MS - (now % MINUTE_MS);
    if (wait < minGapMs) wait += MINUTE_MS;
    timer = setTimeout(() => {
      timer = null;
      void runNow();
      plan(MIN_GAP_MS);
    }, wait);
    timer.unref();
  };

  // Planned on the wall clock as it reads when planning, so planned again on every step (a timer
  // set before a step back of a day would fire at its old time: that is fine, the run plans anew),
  // and held while the clock reads before the build date (a Pi booted at 1970).
  const restart = (): void => {
    cancel();
    if (Date.now() >= BUILD_FLOOR_MS) plan(0);
    else log.debug('wall clock before the build date; minute sweep held until it is corrected');
  };
  restart();
  const steps = new ClockWatch({
    onStep: (deltaMs) => {
      log.debug({ clock_step_ms: Math.round(deltaMs) }, 'wall clock stepped; sweep schedule re-planned');
      restart();
      options.onStep?.(deltaMs);
    },
  });
  steps.start();

  return {
    runNow,
    restart,
    stop: () => {
      steps.stop();
      cancel();
    },
  };
}

async function runLogged(task: () => void | Promise<void>, log: SweepLog): Promise<void> {
  try {
    await task();
  } catch (err) {
    log.error({ err }, 'time-window sweep failed; the next sweep will try again');
  }
}
