// The LockHandle contract against the Zigbee driver: herdsman's real Controller over the simulated
// coordinator, a simulated door lock joined and adopted; its SimDoorLock is the backdoor. The default
// lock keeps year-day schedules; the variant that can't read codes masks PINs (declared by a
// per-device quirk override, as the configuration would).
import { simLock } from '../../../drivers/zigbee/simulator/lock-kinds.ts';
import { ieee, ZigbeeBench } from '../zigbee/harness.ts';
import {
  type ContractSubject,
  describeLockHandleContract,
  type SubjectVariant,
} from './lock-handle-contract.ts';

async function zigbeeSubject(variant: SubjectVariant = {}): Promise<ContractSubject> {
  const bench = await ZigbeeBench.create();
  try {
    const readsCodes = variant.can_read_codes ?? true;
    const address = ieee(1);
    const sim = bench.network.add(
      simLock(variant.supports_native_scheduling === false ? 'reads_back' : 'year_day', address, {
        users: 20,
        reads_codes: readsCodes,
      }),
    );
    await bench.start({ devices: readsCodes ? {} : { [address]: { masked_pins: true } } });
    const lock = await bench.pair(sim);
    const user = (slot: number) => slot - 1 + sim.options.first_user_id;
    return {
      lock,
      slotCount: sim.options.users,
      canReadCodes: sim.options.reads_codes,
      nativeScheduling: sim.options.year_day_schedules > 0,
      knows: { origin: false, duplicateSlot: false },
      storedCode: (slot) => sim.user(user(slot))?.pin ?? null,
      keypadProgram: (slot, code) => sim.keypadProgram(user(slot), code),
      enterCode: (code) => sim.enterCode(code),
      refuseNext: () => {
        throw new Error('not arranged for Zigbee');
      },
      loseNextReply: () => sim.loseAnswer('setPinCode', 'clearPinCode'),
      goSilent: () => {
        sim.silent = true;
      },
      comeBack: () => {
        sim.silent = false;
      },
      reboot: () => bench.network.rejoin(sim),
      logText: () => JSON.stringify(bench.lines),
      cleanup: () => bench.cleanup(),
    };
  } catch (error) {
    await bench.cleanup();
    throw error;
  }
}

describeLockHandleContract('Zigbee driver', zigbeeSubject, {
  refusal:
    "the Door Lock cluster has no 'busy' answer; setPinCode's status 1 is storage_error, tested in test/drivers/zigbee/",
  factoryReset:
    'a Zigbee lock that was reset leaves and joins again, which looks like any rejoin: it is read as a rejoin (test/drivers/zigbee/)',
});
