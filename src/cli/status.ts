// lockbridge status --config FILE [--json]: a running daemon's own report (asked on its status
// socket), or, when none runs, what its store says (read-only: safe beside a daemon that is
// starting or stopping). Exit 0: running; 3: not running (as systemctl status); 1: a problem.
import { parseArgs } from 'node:util';
import { type BridgeInfo, type StoreInfo, storeInfo } from '../app/bridge-info.ts';
import { askRunningBridge } from '../app/control-socket.ts';
import { InstanceLock } from '../app/instance-lock.ts';
import { ownLikeDataDir } from '../app/store-backup.ts';
import { ConfigError, loadConfig, resolveConfigPath } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { Store } from '../store/store.ts';

export const STATUS_USAGE = 'lockbridge status --config FILE [--json]';

export async function statusCommand(
  argv: string[],
  print: (line: string) => void = console.log,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
  });
  const path = resolveConfigPath(values.config, process.env);
  if (!path) {
    print(`no configuration file given\nusage: ${STATUS_USAGE}`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig(path, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    print(`${path}: not valid: ${error.problems.join('; ')}`);
    return 1;
  }

  const live = await askRunningBridge(config.data_dir);
  if (live) {
    if (values.json) print(JSON.stringify({ running: true, info: live }, null, 2));
    else for (const line of describeRunning(live as unknown as BridgeInfo)) print(line);
    return 0;
  }

  const held = InstanceLock.isHeld(config.data_dir);
  let store: StoreInfo & { locks: Array<{ name: string; online_when_last_seen: boolean }> };
  try {
    store = readStore(config);
  } catch (error) {
    print(`lockbridge ${config.gateway_id}: ${held ? 'not answering' : 'not running'}; ${errorText(error)}`);
    return 1;
  } finally {
    ownLikeDataDir(config.data_dir);
  }
  if (values.json) {
    print(JSON.stringify({ running: false, holds_store: held, store }, null, 2));
  } else {
    const state = held
      ? 'a daemon holds the store but does not answer on its status socket (starting, stopping or hung)'
      : 'not running';
    print(`lockbridge ${config.gateway_id}: ${state}; what the store in ${config.data_dir} says:`);
    for (const line of describeStore(store)) print(line);
  }
  return held ? 1 : 3;
}

function readStore(config: Config) {
  const store = Store.openReadOnly(config.data_dir, config.gateway_id);
  try {
    return {
      ...storeInfo(store, config.gateway_id, Date.now()),
      locks: store.devices.list().map((d) => ({ name: d.name, online_when_last_seen: d.online })),
    };
  } finally {
    store.close();
  }
}

function describeRunning(info: BridgeInfo): string[] {
  const lines = [
    `lockbridge ${info.gateway_id}: running (version ${info.version}, up ${duration(info.uptime_s)})`,
  ];
  for (const [name, t] of Object.entries(info.transports)) {
    lines.push(
      t.connected
        ? `  ${name}: connected since ${t.since}`
        : `  ${name}: NOT connected${t.since ? ` since ${t.since}` : ''}: ${t.reason ?? 'unknown reason'}`,
    );
  }
  const offline = info.locks.offline_names.length > 0 ? ` (${info.locks.offline_names.join(', ')})` : '';
  lines.push(`  locks: ${info.locks.online} online, ${info.locks.offline} offline${offline}`);
  lines.push(...describeCommon(info));
  const steps = info.reconciler;
  lines.push(
    `  reconciler: ${steps.steps_running} command(s) in flight${steps.longest_step_s ? ` (longest ${steps.longest_step_s} s)` : ''}, ${steps.locks_failing} lock(s) failing`,
  );
  lines.push(`  clock: ${info.clock.trusted ? 'trusted' : `NOT trusted (${info.clock.reason})`}`);
  const problems = Object.entries(info.last_errors);
  if (problems.length > 0) {
    lines.push('  last problem of each part:');
    for (const [subsystem, p] of problems)
      lines.push(`    ${subsystem}: ${p.level} at ${p.at}: ${p.message}${p.reason ? ` (${p.reason})` : ''}`);
  }
  return lines;
}

function describeStore(store: ReturnType<typeof readStore>): string[] {
  const names = store.locks.map((l) => l.name).join(', ') || 'none';
  return [`  locks known: ${store.locks.length} (${names})`, ...describeCommon(store)];
}

function describeCommon(info: StoreInfo | BridgeInfo): string[] {
  const c = info.codes;
  const backlog = info.event_backlog
    .map(
      (b) =>
        `${b.consumer} ${b.undelivered}${b.oldest_undelivered_at ? ` (oldest ${b.oldest_undelivered_at})` : ''}`,
    )
    .join(', ');
  return [
    `  codes: ${c.set} set, ${c.setting} being set, ${c.unset} waiting for their window, ${c.removing} being removed, ${c.unknown} unknown, ${c.failed} failed; ${c.awaiting_removal} deleted and not yet off their lock`,
    `  pending lock operations: ${info.pending.total} (${info.pending.codes} codes, ${info.pending.door_actions} lock/unlock)`,
    `  events not yet delivered: ${backlog || 'no consumers'}`,
    `  store: ${info.store_size_bytes} bytes, schema ${info.schema_version}, ${info.device_count} devices`,
  ];
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
