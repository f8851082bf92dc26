// The safety net under the deadline timer: once a minute, re-check every time window from the
// store, so a missed or mis-armed timer costs at most a minute, never a code left on a lock.
import cron from 'node-cron';
import type { Logger } from 'pino';
import { BUILD_FLOOR_MS } from './clock-floor.ts';
import { ClockWatch } from './clock-watch.ts';

export type SweepLog = Pick<Logger, 'error' | 'warn' | 'debug'>;

export interface Sweep {
  /** Runs the task now (e.g. when the clock becomes trusted or steps); joins a run already under way. */
  runNow(): Promise<void>;
  /**
   * Re-plans node-cron's next run from the wall clock as it is now. The sweep does this itself
   * within a second of a clock step; calling it again is harmless.
   */
  restart(): void;
  stop(): void;
}

export interface SweepOptions {
  /** Cron expression; every minute by default. */
  expression?: string;
  /** Also told of every wall-clock step, after the sweep re-planned itself (one watch serves both). */
  onStep?: (deltaMs: number) => void;
}

/**
 * Runs task every minute. A throwing or rejecting task is logged, never thrown. It does not run
 * the task when the wall clock steps: options.onStep hears of the step and decides.
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

  const scheduled = cron.createTask(options.expression ?? '* * * * *', runNow, {
    name: 'time-window-sweep',
    // A sweep slower than a minute is skipped, not stacked.
    noOverlap: true,
    // Minutes skipped by a forward step cost nothing (each sweep re-checks everything), and
    // node-cron would otherwise warn once per skipped minute.
    suppressMissedWarning: true,
    unref: true,
    logger: cronLogger(log),
  });

  // node-cron plans its next run from the wall clock: stepped back by a day it would pause for
  // that day, stepped forward it walks each skipped minute. So it is re-planned on every step,
  // and held while the clock reads before the build date (a Pi booted at 1970): NTP's step of
  // decades would otherwise cost node-cron minutes of blocked event loop if it woke first.
  const restart = (): void => {
    void scheduled.stop();
    if (Date.now() >= BUILD_FLOOR_MS) void scheduled.start();
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
      void scheduled.destroy();
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

/** node-cron's own messages go to the bridge's log instead of the console. */
function cronLogger(log: SweepLog) {
  return {
    info: (message: string) => log.debug({ component: 'node-cron' }, message),
    warn: (message: string) => log.warn({ component: 'node-cron' }, message),
    error: (message: string | Error, err?: Error) =>
      log.error({ component: 'node-cron', err: err ?? message }, 'node-cron error'),
    debug: (message: string | Error) => log.debug({ component: 'node-cron' }, String(message)),
  };
}
