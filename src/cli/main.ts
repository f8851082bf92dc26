#!/usr/bin/env node
// lockbridge run | check-config | status | backup | restore | api-key: the command line, dispatched.
import { parseArgs } from 'node:util';
import { checkConfigCommand, resolveConfigPath } from '../config/load.ts';
import { API_KEY_USAGE, apiKeyCommand } from './api-key.ts';
import { BACKUP_USAGE, backupCommand, RESTORE_USAGE, restoreCommand } from './backup.ts';
import { runCommand } from './run.ts';
import { STATUS_USAGE, statusCommand } from './status.ts';

const USAGE = `usage: lockbridge run --config FILE
       lockbridge check-config --config FILE
       ${STATUS_USAGE}
       ${BACKUP_USAGE}
       ${RESTORE_USAGE}
       ${API_KEY_USAGE.replace('usage: ', '')}
The config path may also come from LOCKBRIDGE_CONFIG.`;

/** Commands that read their own arguments. */
const COMMANDS: Record<string, (argv: string[]) => number | Promise<number>> = {
  status: (argv) => statusCommand(argv),
  backup: (argv) => backupCommand(argv),
  restore: (argv) => restoreCommand(argv),
  'api-key': (argv) => apiKeyCommand(argv, process.env, (line) => console.log(line)),
};

async function main(argv: string[]): Promise<number> {
  const own = COMMANDS[argv[0] ?? ''];
  if (own) return own(argv.slice(1));
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
  return runCommand(path);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('lockbridge: fatal:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
