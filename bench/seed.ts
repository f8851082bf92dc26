// Benchmarks need big stores fast: this writes locks that already hold their codes straight into a
// store and into the simulated locks, as a bridge that had programmed them would have left them,
// so a benchmark starts from "everything in sync" in seconds rather than hours of programming.
// With `slotsDir`, each lock's slots are also written where a daemon's simulated lock with
// `keep_slots` finds them (locks named `Lock <n>`, serial numbers `SEED-<n>`): a daemon started
// as a child process on that store finds its locks holding the same codes.
import { randomUUID } from 'node:crypto';
import { slotFilePath, writeSlotFile } from '../drivers/simulated/slot-file.ts';
import { newManagedCode } from '../src/core/access-code.ts';
import { writtenSlot } from '../src/core/slot.ts';
import { Store } from '../src/store/store.ts';
import { simulatedDriver } from '../test/helpers/bridge-harness.ts';

export interface SeedSpec {
  dataDir: string;
  gatewayId: string;
  locks: number;
  slots: number;
  codesPerLock: number;
  latencyMs?: number;
  /** <data_dir>/simulated-locks of the daemon that will run on this store (simulated.keep_slots). */
  slotsDir?: string;
  /** Every `every`-th code of a lock is time-bound, its window (open now) ending at `endsAt`. */
  windows?: { every: number; endsAt: number };
}

/** A distinct, non-trivial PIN per (lock, code). */
export const pinOf = (lock: number, code: number): string =>
  String(100000 + ((lock * 7919 + code * 104729) % 900000));

/** Seeds the store and returns the simulated driver whose locks hold the same codes. */
export function seedLocks(spec: SeedSpec) {
  const driver = simulatedDriver(
    Array.from({ length: spec.locks }, (_, l) => ({
      name: `Lock ${l + 1}`,
      latency_ms: spec.latencyMs ?? 0,
      options: { slots: spec.slots, min_code_length: 4, max_code_length: 8, serial_number: `SEED-${l + 1}` },
    })),
  );
  const store = Store.open(spec.dataDir, spec.gatewayId);
  const now = Date.now();
  store.tx.run(() => {
    driver.locks.forEach((lock, l) => {
      const { device } = store.devices.ensure(lock.identity, 'simulated', lock.name, now);
      store.devices.save({ ...device, slots_read_at: now });
      for (let c = 0; c < spec.codesPerLock; c++) {
        const pin = pinOf(l, c);
        const timed = spec.windows !== undefined && c % spec.windows.every === 0;
        const code = newManagedCode({
          access_code_id: randomUUID(),
          device_id: device.device_id,
          code: pin,
          created_at: now + c,
          status: 'set',
          pending_since: null,
          ...(timed
            ? { type: 'time_bound', window: { starts_at: now - 3600_000, ends_at: spec.windows!.endsAt } }
            : {}),
        });
        store.codes.save(code);
        const op = {
          kind: 'write' as const,
          slot: c + 1,
          access_code_id: code.access_code_id,
          code: pin,
          schedule: null,
        };
        store.slots.put(device.device_id, writtenSlot(op));
        lock.model.write(c + 1, pin, null, 'host');
      }
    });
  });
  store.close();
  const { slotsDir } = spec;
  if (slotsDir !== undefined) {
    for (const lock of driver.locks) {
      writeSlotFile(slotFilePath(slotsDir, lock.model.options.serial_number), lock.model.occupied());
    }
  }
  return driver;
}
