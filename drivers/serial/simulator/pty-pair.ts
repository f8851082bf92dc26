// A pair of linked pseudo-terminals made by socat: what one end writes the other reads, as over a
// serial cable. Killing socat is a USB unplug (both ends vanish); starting it again with the same
// link paths is the replug.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export class PtyPair {
  private socat: ChildProcess | null = null;

  /** hostPath: the bridge's end; lockPath: the lock's end. Both are symlinks socat creates. */
  constructor(
    readonly hostPath: string,
    readonly lockPath: string,
  ) {}

  get running(): boolean {
    return this.socat !== null;
  }

  /** Starts socat and waits until both links exist. */
  async plug(): Promise<void> {
    if (this.socat !== null) return;
    const socat = spawn(
      'socat',
      [`pty,raw,echo=0,link=${this.hostPath}`, `pty,raw,echo=0,link=${this.lockPath}`],
      { stdio: 'ignore' },
    );
    this.socat = socat;
    const failed = new Promise<never>((_, reject) => {
      socat.once('error', reject);
      socat.once('exit', (code) => reject(new Error(`socat exited with ${code}`)));
    });
    const ready = (async () => {
      while (!(existsSync(this.hostPath) && existsSync(this.lockPath))) await sleep(10);
    })();
    await Promise.race([ready, failed]).catch(async (error: unknown) => {
      await this.unplug();
      throw error;
    });
  }

  /** Kills socat (both ends vanish) and waits until its links are gone. */
  async unplug(): Promise<void> {
    const socat = this.socat;
    this.socat = null;
    if (socat !== null && socat.exitCode === null && socat.signalCode === null) {
      const exited = new Promise((resolve) => socat.once('exit', resolve));
      socat.kill('SIGTERM');
      await exited;
    }
    // socat removes its links on SIGTERM; a SIGKILLed socat would leave them dangling.
    await rm(this.hostPath, { force: true });
    await rm(this.lockPath, { force: true });
  }
}
