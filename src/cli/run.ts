// lockbridge run: the daemon in the foreground, as systemd runs it. One daemon per data_dir (the
// instance lock), READY=1 once the bridge has started, WATCHDOG=1 while it is healthy, STATUS= as
// bridge/info changes, memory given back when it goes idle, STOPPING=1 and a graceful stop on
// SIGTERM or SIGINT, and the status socket that `lockbridge status` asks.

import { Bridge } from '../app/bridge.ts';
import type { BridgeInfo } from '../app/bridge-info.ts';
import { startControlSocket } from '../app/control-socket.ts';
import { idleMemoryForProcess } from '../app/idle-memory.ts';
import { InstanceLock, InstanceLockedError } from '../app/instance-lock.ts';
import { systemdNotifier } from '../app/systemd-notify.ts';
import { Watchdog, watchdogInterval } from '../app/watchdog.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { LastProblems } from '../log/last-problems.ts';
import { createLogger } from '../log/logger.ts';

export async function runCommand(path: string): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(path, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    printConfigError(path, error);
    return 1;
  }
  const problems = new LastProblems();
  const log = createLogger({
    level: config.log.level,
    pretty: config.log.pretty,
    onProblem: (line) => problems.record(line),
  });
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));

  let lock: InstanceLock;
  try {
    lock = InstanceLock.acquire(config.data_dir);
  } catch (error) {
    if (!(error instanceof InstanceLockedError)) throw error;
    log.error({ data_dir: config.data_dir }, `${error.message}: not starting a second one`);
    return 1;
  }

  const systemd = systemdNotifier();
  let stop: (why: { signal: string } | { restart: string }) => void = () => undefined;
  const stopped = new Promise<{ signal: string } | { restart: string }>((resolve) => {
    stop = resolve;
  });
  // From the start: a SIGTERM while the bridge is starting stops it gracefully once started.
  process.once('SIGTERM', () => stop({ signal: 'SIGTERM' }));
  process.once('SIGINT', () => stop({ signal: 'SIGINT' }));
  let bridge: Bridge;
  try {
    bridge = await Bridge.start({
      config,
      log,
      problems,
      onInfo: (info) => void systemd.notify(`STATUS=${statusLine(info)}`),
      // A driver that can't recover in this process (a Zigbee adapter lost for good), or a store
      // opened read-only on a disk that takes writes again: a clean stop, then an exit that
      // systemd restarts (Restart=always).
      onRestartNeeded: (reason) => stop({ restart: reason }),
    });
  } catch (error) {
    lock.release();
    if (!(error instanceof ConfigError)) throw error;
    printConfigError(path, error);
    return 1;
  }
  const control = await startControlSocket(config.data_dir, () => bridge.info(), log);
  await systemd.notify('READY=1', `STATUS=${statusLine(bridge.info())}`);

  const interval = watchdogInterval(process.env, process.pid);
  const watchdog =
    interval === null
      ? null
      : new Watchdog({ intervalMs: interval, check: () => bridge.checkHealth(), notifier: systemd, log });
  watchdog?.start();
  if (watchdog) log.info({ interval_ms: interval }, 'systemd watchdog: pinging while healthy');
  const idleMemory = idleMemoryForProcess(log);
  idleMemory?.start();
  if (!idleMemory)
    log.debug('Node runs without --expose-gc: memory grown while busy is left to V8 when idle');

  const why = await stopped;
  log.info(why, 'restart' in why ? 'stopping to be restarted' : 'stopping');
  watchdog?.stop();
  idleMemory?.stop();
  await systemd.notify('STOPPING=1');
  await bridge.stop();
  await control.close();
  lock.release();
  return 'restart' in why ? EXIT_RESTART : 0;
}

/** EX_TEMPFAIL: stopped on purpose, to be started again (by systemd). */
const EXIT_RESTART = 75;

/** One line for `systemctl status`. */
export function statusLine(info: BridgeInfo): string {
  const broker =
    info.broker_connected === null
      ? 'no broker'
      : info.broker_connected
        ? 'broker connected'
        : 'broker unreachable';
  const offline = info.locks.offline > 0 ? `, ${info.locks.offline} offline` : '';
  return `${info.locks.online} locks online${offline}; ${broker}; ${info.pending.total} lock operations pending`;
}

function printConfigError(path: string, error: ConfigError): void {
  console.error(`lockbridge: the configuration ${path} is not valid:`);
  for (const problem of error.problems) console.error(`  ${problem}`);
}
