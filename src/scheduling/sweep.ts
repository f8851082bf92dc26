// The safety net under the deadline timer: once a minute, re-check every time window from the
// store, so a missed or mis-armed timer costs at most a minute, never a code left on a lock.
import cron from 'node-cron';
import type { Logger } from 'pino';
import { ClockWatch } from '../clock/clock-watch.ts';

export type SweepLog = Pick<Logger, 'error' | 'warn' | 'debug'>;

export interface Sweep {
  /** Runs the task now (e.g. when the clock becomes trusted); joins a run already under way. */
  runNow(): Promise<void>;
  stop(): void;
}

export interface SweepOptions {
  /** Cron expression; every minute by default. */
  expression?: string;
}

/**
 * Runs task every minute, and at once whenever the wall clock steps. A throwing or rejecting
 * task is logged, never thrown.
 *
 * Start it once the clock is trusted: node-cron walks every minute skipped by a forward step one
 * by one, synchronously (about 17 s per year skipped on a desktop CPU). The step watch restarts
 * node-cron within a second of a step, which avoids this unless a minute's run falls inside that
 * second; a trusted clock is near the floor, so its steps are small.
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

  const scheduled = cron.schedule(options.expression ?? '* * * * *', runNow, {
    name: 'time-window-sweep',
    // A sweep slower than a minute is skipped, not stacked.
    noOverlap: true,
    // Minutes skipped by a forward step cost nothing (each sweep re-checks everything), and
    // node-cron would otherwise warn once per skipped minute.
    suppressMissedWarning: true,
    unref: true,
    logger: cronLogger(log),
  });

  // node-cron computes its next run from the wall clock: stepped back by a day it would pause
  // for that day, so restart it on every step, and re-check the windows against the new time.
  const steps = new ClockWatch({
    onStep: (deltaMs) => {
      log.warn(
        { clock_step_ms: Math.round(deltaMs) },
        'wall clock stepped; re-checking every time window now',
      );
      void scheduled.stop();
      void scheduled.start();
      void runNow();
    },
  });
  steps.start();

  return {
    runNow,
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
