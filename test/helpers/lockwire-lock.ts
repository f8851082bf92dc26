// A lockwire lock for end-to-end tests: a socat pty pair in a fresh temp dir and the lock simulator
// on its lock end; the bridge opens `pty.hostPath`. Everything is undone by the cleanups given.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockSimulator, type LockSimulatorOptions } from '../../drivers/serial/simulator/lock-simulator.ts';
import { PtyPair } from '../../drivers/serial/simulator/pty-pair.ts';

export type Cleanups = Array<() => Promise<unknown> | unknown>;

export async function lockwireLock(
  serialNumber: string,
  cleanups: Cleanups,
  options: Partial<LockSimulatorOptions> = {},
): Promise<{ dir: string; pty: PtyPair; sim: LockSimulator }> {
  const dir = mkdtempSync(join(tmpdir(), 'lockbridge-lockwire-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const pty = new PtyPair(join(dir, 'host'), join(dir, 'lock'));
  await pty.plug();
  cleanups.push(() => pty.unplug());
  const sim = new LockSimulator({
    slots: 20,
    min_code_length: 4,
    max_code_length: 8,
    can_read_codes: true,
    supports_native_scheduling: true,
    serial_number: serialNumber,
    has_clock: true,
    ...options,
  });
  await sim.open(pty.lockPath);
  cleanups.push(() => sim.close());
  return { dir, pty, sim };
}
