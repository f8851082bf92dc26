#!/usr/bin/env node
// lockbridge run | check-config | api-key --config FILE
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Bridge } from '../app/bridge.ts';
import { ConfigError, checkConfigCommand, loadConfig, resolveConfigPath } from '../config/load.ts';
import { createLogger } from '../log/logger.ts';
import { API_KEY_USAGE, apiKeyCommand } from './api-key.ts';

const USAGE = `usage: lockbridge run --config FILE
       lockbridge check-config --config FILE
${API_KEY_USAGE.replace('usage: ', '       ')}
The config path may also come from LOCKBRIDGE_CONFIG.`;

async function main(argv: string[]): Promise<number> {
  // Commands with options of their own parse their arguments themselves.
  if (argv[0] === 'api-key') return apiKeyCommand(argv.slice(1), process.env, (line) => console.log(line));
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const path = resolveConfigPath(values.config, process.env);
  if (command === 'check-config') return checkConfigCommand(path, process.env, (line) => console.log(line));
  if (command !== 'run') {
    console.error(`unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  if (!path) {
    console.error(`no configuration file given\n${USAGE}`);
    return 2;
  }
  return run(path);
}

async function run(path: string): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(path, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`lockbridge: the configuration ${path} is not valid:`);
    for (const problem of error.problems) console.error(`  ${problem}`);
    return 1;
  }
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty });
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  let stop: (why: { signal: string } | { restart: string }) => void = () => undefined;
  const stopped = new Promise<{ signal: string } | { restart: string }>((resolve) => {
    stop = resolve;
  });
  // A driver that can't recover in this process (a Zigbee adapter lost for good) asks for a
  // restart: a clean stop, then an exit systemd restarts (Restart=always).
  const bridge = await Bridge.start({ config, log, onRestartNeeded: (reason) => stop({ restart: reason }) });
  notifySystemd('--ready');
  process.once('SIGTERM', () => stop({ signal: 'SIGTERM' }));
  process.once('SIGINT', () => stop({ signal: 'SIGINT' }));
  const why = await stopped;
  log.info(why, 'restart' in why ? 'stopping to be restarted' : 'stopping');
  notifySystemd('--stopping');
  await bridge.stop();
  return 'restart' in why ? EXIT_RESTART : 0;
}

/** EX_TEMPFAIL: stopped on purpose, to be started again (by systemd). */
const EXIT_RESTART = 75;

/** READY=1 / STOPPING=1 for Type=notify units (the unit sets NotifyAccess=all). */
function notifySystemd(flag: '--ready' | '--stopping'): void {
  if (!process.env.NOTIFY_SOCKET) return;
  const args = flag === '--ready' ? ['--ready'] : ['STOPPING=1'];
  spawn('systemd-notify', args, { stdio: 'ignore' }).on('error', () => undefined);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('lockbridge: fatal:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
