// The kinds of simulated Zigbee locks the tests, the benchmark and the demo use: each a real
// lock's shape (model, endpoint, user numbering) with one behaviour the driver must handle.
import { SimDoorLock, type SimDoorLockOptions } from './sim-door-lock.ts';

export type SimLockKind = 'reads_back' | 'masked' | 'sleepy' | 'year_day' | 'from_one';

export const SIM_LOCK_KINDS: Record<SimLockKind, Partial<SimDoorLockOptions>> = {
  /** Yale-like: endpoint 1, users from 0, getPinCode gives the PIN back. */
  reads_back: { manufacturer: 'Yale', model: 'YRD256 TSDB', manufacturer_code: 0x101d, endpoint: 1 },
  /** Answers occupied users with an empty PIN: it can't read codes back. A model no quirk names. */
  masked: {
    manufacturer: 'Lockbridge Simulated',
    model: 'SIM-MASKED-1',
    manufacturer_code: 0x1234,
    reads_codes: false,
    programming_event_pin: false,
  },
  /** Kwikset-like sleepy end device on endpoint 2: answers only when it polls (late), says how often. */
  sleepy: {
    manufacturer: 'Kwikset',
    model: 'SMARTCODE_DEADBOLT_10_L',
    manufacturer_code: 0x1092,
    endpoint: 2,
    router: false,
    answer_delay_ms: 150,
    long_poll_quarter_s: 2,
  },
  /** Keeps year-day schedules (and reads the coordinator's clock for them). */
  year_day: {
    manufacturer: 'Yale',
    model: 'YRD446 BLE TSDB',
    manufacturer_code: 0x101d,
    year_day_schedules: 2,
  },
  /** Nimly/Onesti-like: endpoint 11, users numbered from 1, battery in percent. */
  from_one: {
    manufacturer: 'Onesti Products AS',
    model: 'NimlyPRO',
    manufacturer_code: 0x1234,
    endpoint: 11,
    first_user_id: 1,
    battery_units: 'percent',
  },
};

/** A simulated lock of a kind, with an IEEE address and any knobs on top. */
export function simLock(
  kind: SimLockKind,
  ieee: string,
  options: Partial<SimDoorLockOptions> = {},
): SimDoorLock {
  return new SimDoorLock({ ...SIM_LOCK_KINDS[kind], ...options, ieee });
}
