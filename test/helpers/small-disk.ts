// A real small disk for storage-outage tests: a fresh tmpfs that can be filled up and remounted
// read-only. Mounting needs root (and the right to mount): `mountable` says whether this machine
// can, and the tests that need it are skipped, saying so, where it cannot.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const mountable = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'lockbridge-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

export interface SmallDisk {
  /** Where the store goes (data/ on the disk). */
  dataDir: string;
  /** Takes every byte left. */
  fill(): void;
  /** Gives back what fill() took. */
  free(): void;
  readOnly(on: boolean): void;
  /** Unmounts it and removes the mount point. */
  remove(): void;
}

/** A fresh tmpfs of `size` (8m by default). */
export function smallDisk(size = '8m'): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'lockbridge-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  const fillers: string[] = [];
  return {
    dataDir: join(dir, 'data'),
    fill() {
      mkdirSync(dir, { recursive: true });
      // Big pieces, then small ones: every byte goes.
      for (const bytes of [256 * 1024, 4096]) {
        try {
          for (;;) {
            const file = join(dir, `filler-${fillers.length}`);
            writeFileSync(file, Buffer.alloc(bytes));
            fillers.push(file);
          }
        } catch {
          // ENOSPC: full at this size
        }
      }
    },
    free() {
      for (const file of fillers.splice(0)) rmSync(file, { force: true });
    },
    readOnly(on: boolean) {
      // A file a process that just stopped had open for writing may take a moment to be let go
      // (mount says "busy" until then; on a loaded machine, seconds).
      for (let attempt = 1; ; attempt++) {
        try {
          execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, dir], { stdio: 'pipe' });
          return;
        } catch (error) {
          if (attempt >= 150) {
            let holders = '';
            try {
              holders = execFileSync('fuser', ['-vm', dir], { encoding: 'utf8', stdio: 'pipe' });
            } catch (fuser) {
              holders = String((fuser as { stderr?: unknown }).stderr ?? fuser);
            }
            throw new Error(`${(error as Error).message}\nwho holds it:\n${holders}`);
          }
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        }
      }
    },
    remove() {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
