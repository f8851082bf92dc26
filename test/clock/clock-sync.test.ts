// Real files and real child processes: small shell scripts stand in for timedatectl and adjtimex,
// whose answers on this machine (a container without systemd) can't be chosen.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelClockSynchronised } from '../../src/clock/clock-sync.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clock-sync-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An executable script in the temp dir; returns its path. */
async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

function missing(name: string): string {
  return join(dir, 'not-installed', name);
}

const ADJTIMEX_SYNCED = `cat <<'OUT'
         mode: 0
       offset: -1043
    frequency: 1523718
       status: 8193
time_constant: 7
 return value = 0
OUT`;

describe('kernelClockSynchronised', () => {
  it('is true when systemd-timesyncd has created its flag file, without asking timedatectl', async () => {
    const flag = join(dir, 'synchronized');
    await writeFile(flag, '');
    const timedatectl = await script('timedatectl-no', 'echo no');
    expect(await kernelClockSynchronised({ timesyncFlagPath: flag, timedatectlCommand: timedatectl })).toBe(
      true,
    );
  });

  it("asks timedatectl when there is no flag file, and takes its 'yes' or 'no'", async () => {
    const base = { timesyncFlagPath: missing('synchronized'), adjtimexCommand: missing('adjtimex') };
    const yes = await script('timedatectl-yes', '[ "$*" = "show -p NTPSynchronized --value" ] && echo yes');
    const no = await script('timedatectl-no2', 'echo no');
    expect(await kernelClockSynchronised({ ...base, timedatectlCommand: yes })).toBe(true);
    expect(await kernelClockSynchronised({ ...base, timedatectlCommand: no })).toBe(false);
  });

  it('is null when neither timedatectl nor adjtimex is installed', async () => {
    const result = await kernelClockSynchronised({
      timesyncFlagPath: missing('synchronized'),
      timedatectlCommand: missing('timedatectl'),
      adjtimexCommand: missing('adjtimex'),
    });
    expect(result).toBeNull();
  });

  it('falls back to adjtimex when timedatectl fails (no systemd as PID 1), reading STA_UNSYNC', async () => {
    const failing = await script(
      'timedatectl-container',
      'echo "System has not been booted with systemd as init system (PID 1). Can\'t operate." >&2; exit 1',
    );
    const base = { timesyncFlagPath: missing('synchronized'), timedatectlCommand: failing };
    const synced = await script('adjtimex-synced', ADJTIMEX_SYNCED);
    const unsynced = await script('adjtimex-unsynced', ADJTIMEX_SYNCED.replace('8193', '8257'));
    const timeError = await script(
      'adjtimex-time-error',
      ADJTIMEX_SYNCED.replace('return value = 0', 'return value = 5'),
    );
    const garbled = await script('adjtimex-garbled', 'echo "adjtimex: Operation not permitted"');
    expect(await kernelClockSynchronised({ ...base, adjtimexCommand: synced })).toBe(true);
    expect(await kernelClockSynchronised({ ...base, adjtimexCommand: unsynced })).toBe(false);
    expect(await kernelClockSynchronised({ ...base, adjtimexCommand: timeError })).toBe(false);
    expect(await kernelClockSynchronised({ ...base, adjtimexCommand: garbled })).toBeNull();
  });

  it('treats an unexpected timedatectl answer or a hung one as no answer', async () => {
    const base = { timesyncFlagPath: missing('synchronized'), adjtimexCommand: missing('adjtimex') };
    const odd = await script('timedatectl-odd', 'echo maybe');
    const hung = await script('timedatectl-hung', 'exec sleep 30');
    expect(await kernelClockSynchronised({ ...base, timedatectlCommand: odd })).toBeNull();
    expect(await kernelClockSynchronised({ ...base, timedatectlCommand: hung, timeoutMs: 100 })).toBeNull();
  });

  it('answers on this machine without throwing', async () => {
    expect([true, false, null]).toContain(await kernelClockSynchronised());
  });
});
