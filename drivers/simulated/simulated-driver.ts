// The simulated driver: locks that live in memory, for the demo and the tests. The locks exist
// from construction, so a test can reach them (and queue faults) before the bridge starts, and
// they outlive stop(): starting again brings back the same slots, as a restarted bridge finds them.
import { createHash } from 'node:crypto';
import type { LockDriver, LockHandle } from '../driver.ts';
import { SimulatedLock, type SimulatedLockSpec } from './simulated-lock.ts';
import { slotFilePath } from './slot-file.ts';

export class SimulatedDriver implements LockDriver {
  readonly kind = 'simulated' as const;
  readonly locks: SimulatedLock[];

  constructor(specs: SimulatedLockSpec[]) {
    this.locks = specs.map((spec) => new SimulatedLock(spec));
    const seen = new Set<string>();
    for (const lock of this.locks) {
      if (seen.has(lock.identity)) {
        throw new Error(`two simulated locks share the serial number of ${lock.identity}; give each its own`);
      }
      seen.add(lock.identity);
    }
  }

  /** Announces every lock; each comes online after its latency, once onLock had a chance to listen. */
  async start(onLock: (lock: LockHandle) => void): Promise<void> {
    for (const lock of this.locks) onLock(lock);
    for (const lock of this.locks) lock.driverStarted();
  }

  /** Every lock goes silent (no events, no timers left); the slots are kept. */
  async stop(): Promise<void> {
    for (const lock of this.locks) lock.driverStopped();
  }
}

export interface SimulatedLockConfig {
  name: string;
  simulated: {
    keep_slots: boolean;
    slots: number;
    min_code_length: number;
    max_code_length: number;
    latency_ms: number;
    can_read_codes: boolean;
    supports_native_scheduling: boolean;
    serial_number?: string;
  };
}

/** slotsDir: where locks with keep_slots keep their slots (<data_dir>/simulated-locks). */
export function simulatedDriverFromConfig(locks: SimulatedLockConfig[], slotsDir: string): SimulatedDriver {
  return new SimulatedDriver(
    locks.map(({ name, simulated: s }) => {
      const serial_number = s.serial_number ?? serialFromName(name);
      return {
        name,
        latency_ms: s.latency_ms,
        options: {
          slots: s.slots,
          min_code_length: s.min_code_length,
          max_code_length: s.max_code_length,
          can_read_codes: s.can_read_codes,
          supports_native_scheduling: s.supports_native_scheduling,
          serial_number,
        },
        ...(s.keep_slots ? { slots_file: slotFilePath(slotsDir, serial_number) } : {}),
      };
    }),
  );
}

/** A serial number that stays the same for the same name, so the lock keeps its device_id across restarts. */
export function serialFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // accents go, their letters stay
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toUpperCase();
  // Names that differ only in punctuation or script would collide on the slug alone.
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 6).toUpperCase();
  return slug === '' ? `SIM-${digest}` : `SIM-${slug}-${digest}`;
}
