// The daemon on the production path, for benchmarks that measure a whole process: bundled with
// `npm run build`, started as systemd starts it (`node dist/lockbridge.js run --config FILE`,
// with the unit's environment), readiness from its READY=1 on a NOTIFY_SOCKET, and its memory
// and CPU read from /proc.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../test/helpers/api-client.ts';
import { type NotifySocket, startNotifySocket } from '../test/helpers/notify-socket.ts';

const ROOT = new URL('..', import.meta.url).pathname;
export const COMPILED_MAIN = join(ROOT, 'dist/lockbridge.js');
const UNIT = join(ROOT, 'systemd/lockbridge.service');
/** Clock ticks a second, for /proc/<pid>/stat (USER_HZ: 100 on every Linux the hub runs). */
const CLOCK_TICKS = 100;

/** `npm run build`: the bundled JavaScript the package ships. */
export function build(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The environment the systemd unit sets (its `Environment=` lines). */
export function unitEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(UNIT, 'utf8').split('\n')) {
    const set = line.match(/^Environment="?([A-Z_]+)=(.*?)"?$/);
    if (set) env[set[1]!] = set[2]!;
  }
  return env;
}

/**
 * The NODE_OPTIONS the systemd unit runs the daemon with (none when it sets none), or
 * BENCH_NODE_OPTIONS when set (to compare others).
 */
export function nodeOptions(): string {
  return process.env.BENCH_NODE_OPTIONS ?? unitEnvironment().NODE_OPTIONS ?? '';
}

export interface Memory {
  /** Resident set, MiB: anonymous (the heap, the daemon's own) + file-backed (the Node binary's pages). */
  rss: number;
  anon: number;
  file: number;
  /** The most it was resident so far (VmHWM), MiB. */
  peak: number;
}

export interface ProductionDaemon {
  proc: ChildProcess;
  pid: number;
  /** performance.now() at spawn. */
  spawnedAt: number;
  /** performance.now() when READY=1 arrived. */
  readyAt: number;
  output(): string;
  memory(): Memory;
  /** CPU time (user + system) used so far, ms. */
  cpuMs(): number;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts the daemon and resolves once it told systemd READY=1. */
export async function startProductionDaemon(config: string, dir: string): Promise<ProductionDaemon> {
  const notify: NotifySocket = await startNotifySocket(dir);
  const spawnedAt = performance.now();
  const proc = spawn(process.execPath, [COMPILED_MAIN, 'run', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...unitEnvironment(), NODE_OPTIONS: nodeOptions(), NOTIFY_SOCKET: notify.path },
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(proc, 'exit');
  let readyAt = 0;
  try {
    await eventually(
      () => {
        if (proc.exitCode !== null) throw new Error(`the daemon exited: ${out.slice(-2000)}`);
        if (notify.messages().some((m) => m.includes('READY=1'))) readyAt = performance.now();
        return readyAt > 0;
      },
      120_000,
      'READY=1',
      1,
    );
  } catch (error) {
    proc.kill('SIGKILL');
    await notify.close();
    throw error;
  }
  const pid = proc.pid!;
  return {
    proc,
    pid,
    spawnedAt,
    readyAt,
    output: () => out,
    memory: () => memoryOf(pid),
    cpuMs: () => cpuMsOf(pid),
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      await notify.close();
    },
  };
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0);
  const mib = (key: string) => kib(key) / 1024;
  return {
    rss: mib('VmRSS'),
    anon: mib('RssAnon'),
    file: mib('RssFile') + mib('RssShmem'),
    peak: mib('VmHWM'),
  };
}

export function cpuMsOf(pid: number): number {
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1000) / CLOCK_TICKS;
}
