// Whether the operating system says the wall clock is synchronised (NTP). Each probe answers
// true, false or "can't tell"; containers and machines without systemd often can't tell.
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';

export interface ClockSyncProbes {
  /** systemd-timesyncd creates this file once it has synchronised the clock (/run is cleared at boot). */
  timesyncFlagPath?: string;
  /** `timedatectl`; its NTPSynchronized is the kernel's adjtimex verdict, read through systemd-timedated. */
  timedatectlCommand?: string;
  /** `adjtimex` (Debian package adjtimex), asked when timedatectl can't answer (no systemd, no D-Bus). */
  adjtimexCommand?: string;
  /** How long a probe command may take before it counts as no answer. */
  timeoutMs?: number;
}

const DEFAULTS = {
  timesyncFlagPath: '/run/systemd/timesync/synchronized',
  timedatectlCommand: 'timedatectl',
  adjtimexCommand: 'adjtimex',
  timeoutMs: 2_000,
} satisfies Required<ClockSyncProbes>;

/** adjtimex(2) status bit: the kernel clock is not synchronised. */
const STA_UNSYNC = 0x40;
/** adjtimex(2) return value: the clock is not synchronised. */
const TIME_ERROR = 5;

/** True when synchronised, false when the system says it is not, null when nothing can tell. */
export async function kernelClockSynchronised(probes: ClockSyncProbes = {}): Promise<boolean | null> {
  const p = { ...DEFAULTS, ...probes };
  if (await fileExists(p.timesyncFlagPath)) return true;
  const timedated = await timedatectlSynchronised(p.timedatectlCommand, p.timeoutMs);
  if (timedated !== null) return timedated;
  return adjtimexSynchronised(p.adjtimexCommand, p.timeoutMs);
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function timedatectlSynchronised(command: string, timeoutMs: number): Promise<boolean | null> {
  const out = await runProbe(command, ['show', '-p', 'NTPSynchronized', '--value'], timeoutMs);
  const answer = out?.trim();
  if (answer === 'yes') return true;
  if (answer === 'no') return false;
  return null;
}

async function adjtimexSynchronised(command: string, timeoutMs: number): Promise<boolean | null> {
  const out = await runProbe(command, ['--print'], timeoutMs);
  if (out === null) return null;
  const status = /^\s*status:\s*(\d+)\s*$/m.exec(out)?.[1];
  if (status === undefined) return null;
  const returned = /return value\s*=\s*(\d+)/.exec(out)?.[1];
  if (returned !== undefined && Number(returned) === TIME_ERROR) return false;
  return (Number(status) & STA_UNSYNC) === 0;
}

/** The command's stdout, or null when it is missing, fails or takes too long. */
function runProbe(command: string, args: string[], timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' }, windowsHide: true },
      (error, stdout) => resolve(error ? null : stdout),
    );
  });
}
