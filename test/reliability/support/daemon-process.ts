// The reliability suite's daemon as a child process: started, waited for, killed with SIGKILL.
// Its JSON log lines are kept across every run, to count them and to look for PINs.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { eventually } from '../../helpers/api-client.ts';

const ENTRY = new URL('./daemon.ts', import.meta.url).pathname;

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export class DaemonProcess {
  /** Every line every run printed, in order. */
  readonly output: string[] = [];
  runs = 0;
  /** How the last run ended: its exit code, or null (still running, or killed by a signal). */
  lastExitCode: number | null = null;
  private proc: ChildProcess | null = null;
  private partial = '';
  /** Where the current run's lines begin in `output`. */
  private runStart = 0;

  constructor(
    private readonly configPath: string,
    private readonly lockMemoryPath: string,
  ) {}

  get running(): boolean {
    return this.proc !== null;
  }

  /** Starts a run; `ready()` waits for its ready line. */
  start(): void {
    if (this.proc) throw new Error('the daemon is already running');
    this.runs++;
    this.partial = '';
    this.runStart = this.output.length;
    // process.execPath is the project's Node 24 (npm scripts run it); tsx loads the TypeScript.
    const proc = spawn(process.execPath, ['--import', 'tsx', ENTRY, this.configPath, this.lockMemoryPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const take = (chunk: Buffer) => {
      const text = this.partial + chunk.toString();
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      this.output.push(...lines.filter((line) => line.length > 0));
    };
    proc.stdout?.on('data', take);
    proc.stderr?.on('data', take);
    proc.once('exit', (code) => {
      this.lastExitCode = code;
      if (this.proc === proc) this.proc = null;
    });
    this.proc = proc;
  }

  /** Waits for the `ready` line of the current run. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const isReady = () => this.output.slice(this.runStart).some((line) => line.includes('"msg":"ready"'));
    await eventually(() => isReady() || !this.running, timeoutMs, `daemon run ${this.runs} ready`);
    if (!this.running)
      throw new Error(`the daemon exited during start:\n${this.output.slice(-20).join('\n')}`);
  }

  /** kill -9, and waits until it is gone. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    await exited;
    this.proc = null;
  }

  /** Every line so far, parsed. */
  lines(): LogLine[] {
    return this.output.flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [{ level: 60, msg: line }]; // not JSON: a crash trace, say; counted as fatal
      }
    });
  }
}
