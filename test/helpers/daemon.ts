// The real daemon as a child process (`lockbridge run` through tsx, on the project's Node 24), with
// its output captured: for tests of what only a whole process shows (signals, systemd, the status
// socket, the instance lock).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { eventually } from './api-client.ts';

export const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

export interface Daemon {
  proc: ChildProcess;
  output(): string;
  /** The JSON log lines so far (non-JSON lines skipped). */
  lines(): Array<Record<string, unknown> & { msg?: string }>;
  /** Waits until the output contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<number | string>;
}

export interface DaemonOptions {
  env?: NodeJS.ProcessEnv;
  /** Modules loaded before main (test fixtures: a way to block the event loop, say). */
  imports?: string[];
  /** The program and its script instead of tsx and src/cli/main.ts (an installed, compiled one). */
  command?: [string, string];
}

export function startDaemon(config: string, options: DaemonOptions = {}): Daemon {
  return startLockbridge(['run', '--config', config], options);
}

/** Any lockbridge command as a child process. */
export function startLockbridge(args: string[], options: DaemonOptions = {}): Daemon {
  const imports = ['tsx', ...(options.imports ?? [])].flatMap((m) => ['--import', m]);
  const [program, ...programArgs] = options.command ?? [process.execPath, ...imports, MAIN];
  const proc = spawn(program!, [...programArgs, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(proc, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  return {
    proc,
    output: () => out,
    lines: () =>
      out.split('\n').flatMap((line) => {
        if (!line.startsWith('{')) return [];
        try {
          return [JSON.parse(line) as Record<string, unknown> & { msg?: string }];
        } catch {
          return [];
        }
      }),
    waitFor: async (text, timeoutMs = 20_000) => {
      await eventually(() => out.includes(text), timeoutMs, `"${text}" in the daemon's output`);
    },
    exited,
  };
}

/** Runs a lockbridge command to its end: its exit code and output. */
export async function runLockbridge(
  args: string[],
  options: DaemonOptions = {},
): Promise<{ code: number | string; output: string }> {
  const run = startLockbridge(args, options);
  const code = await run.exited;
  return { code, output: run.output() };
}
