// lockbridge api-key create|list|revoke --config FILE: the HTTP API's keys, in the store the daemon
// uses (a key made while it runs works at once, a revoked one stops at once). A new key is printed
// once, as the last line; only its salted hash is kept.
import { parseArgs } from 'node:util';
import { ApiKeys } from '../auth/api-keys.ts';
import { ConfigError, loadConfig, resolveConfigPath } from '../config/load.ts';
import { Store } from '../store/store.ts';

export const API_KEY_USAGE = `usage: lockbridge api-key create --config FILE [--name NAME]
       lockbridge api-key list --config FILE
       lockbridge api-key revoke --config FILE KEY_ID`;

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

export function apiKeyCommand(argv: string[], env: NodeJS.ProcessEnv, print: (line: string) => void): number {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    print(`${(error as Error).message}\n${API_KEY_USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [action, ...rest] = positionals;
  const path = resolveConfigPath(values.config, env);
  if (!action || !['create', 'list', 'revoke'].includes(action) || !path) {
    print(API_KEY_USAGE);
    return 2;
  }
  if (action === 'revoke' && rest.length !== 1) {
    print(`api-key revoke takes one key id\n${API_KEY_USAGE}`);
    return 2;
  }
  let store: Store;
  try {
    const config = loadConfig(path, env);
    store = Store.open(config.data_dir, config.gateway_id);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    print(`lockbridge: the configuration ${path} is not valid:`);
    for (const problem of error.problems) print(`  ${problem}`);
    return 1;
  }
  try {
    const keys = new ApiKeys(store.apiKeys);
    if (action === 'create') {
      const name = values.name ?? 'unnamed';
      const { key_id, key } = keys.create(name);
      print(`API key ${key_id} ("${name}") created. It is shown only this once: keep it now.`);
      print(key);
      return 0;
    }
    if (action === 'list') {
      const list = keys.list();
      if (list.length === 0) print('no API keys: lockbridge api-key create --config FILE --name NAME');
      for (const k of list) {
        const state = k.revoked_at === null ? 'active' : `revoked ${iso(k.revoked_at)}`;
        print(
          `${k.key_id}  ${k.name}  created ${iso(k.created_at)}  last used ${iso(k.last_used_at)}  ${state}`,
        );
      }
      return 0;
    }
    const id = rest[0]!;
    if (!keys.revoke(id)) {
      print(`no active API key ${id} (lockbridge api-key list shows them)`);
      return 1;
    }
    print(`API key ${id} revoked: it stops working at once.`);
    return 0;
  } finally {
    store.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, name: { type: 'string', short: 'n' } },
  });
}
