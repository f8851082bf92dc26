// lockbridge backup --config FILE OUT: a consistent copy of the store, while the daemon runs.
// lockbridge restore --config FILE IN: checks IN, refuses beside a live daemon, replaces the store
// (keeping the one it replaces). Exit 0: done; 1: refused or failed, with the reason; 2: usage.
import { parseArgs } from 'node:util';
import { InstanceLockedError } from '../app/instance-lock.ts';
import { backupStore, ownLikeDataDir, restoreStore, StoreFileError } from '../app/store-backup.ts';
import { ConfigError, loadConfig, resolveConfigPath } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

export const BACKUP_USAGE = 'lockbridge backup --config FILE OUT';
export const RESTORE_USAGE = 'lockbridge restore --config FILE IN';

type Print = (line: string) => void;

export function backupCommand(argv: string[], print: Print = console.log): number {
  const parsed = parse(argv, BACKUP_USAGE, print);
  if (typeof parsed === 'number') return parsed;
  const { config, file } = parsed;
  try {
    const copy = backupStore(config.data_dir, file);
    print(
      `backup of ${config.data_dir} written to ${file}: ${copy.size_bytes} bytes, schema ${copy.schema_version}, ${copy.devices} devices, ${copy.access_codes} access codes, integrity ok`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof StoreFileError)) throw error;
    print(`lockbridge backup: ${error.message}`);
    return 1;
  } finally {
    ownLikeDataDir(config.data_dir);
  }
}

export function restoreCommand(argv: string[], print: Print = console.log): number {
  const parsed = parse(argv, RESTORE_USAGE, print);
  if (typeof parsed === 'number') return parsed;
  const { config, file } = parsed;
  try {
    const { restored, previous } = restoreStore(config.data_dir, file);
    print(
      `restored ${file} into ${config.data_dir}: schema ${restored.schema_version}, ${restored.devices} devices, ${restored.access_codes} access codes`,
    );
    if (previous) print(`the store it replaced is kept as ${previous}`);
    print(
      'start the bridge (systemctl start lockbridge): it reads every lock again and programs what the store says',
    );
    return 0;
  } catch (error) {
    if (error instanceof InstanceLockedError) {
      print(`lockbridge restore: refused: ${error.message}; stop it first (systemctl stop lockbridge)`);
      return 1;
    }
    if (!(error instanceof StoreFileError)) throw error;
    print(`lockbridge restore: refused: ${error.message}; nothing was changed`);
    return 1;
  }
}

function parse(argv: string[], usage: string, print: Print): { config: Config; file: string } | number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' } },
  });
  const path = resolveConfigPath(values.config, process.env);
  const file = positionals[0];
  if (!path || !file || positionals.length > 1) {
    print(`usage: ${usage}`);
    return 2;
  }
  try {
    return { config: loadConfig(path, process.env), file };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    print(`${path}: not valid: ${error.problems.join('; ')}`);
    return 1;
  }
}
