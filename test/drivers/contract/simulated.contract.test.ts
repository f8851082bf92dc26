// The LockHandle contract against the simulated driver: a SimulatedLock reached through a started
// SimulatedDriver, its LockModel and fault knobs as the backdoor.
import { once } from 'node:events';
import { SimulatedDriver } from '../../../drivers/simulated/simulated-driver.ts';
import {
  type ContractSubject,
  describeLockHandleContract,
  modelBacked,
  type SubjectVariant,
} from './lock-handle-contract.ts';

async function simulatedSubject(variant: SubjectVariant = {}): Promise<ContractSubject> {
  const driver = new SimulatedDriver([
    {
      name: 'Contract door',
      latency_ms: 2,
      options: {
        slots: 20,
        min_code_length: 4,
        max_code_length: 8,
        can_read_codes: variant.can_read_codes ?? true,
        supports_native_scheduling: variant.supports_native_scheduling ?? true,
        serial_number: 'SIM-CONTRACT',
      },
    },
  ]);
  const lock = driver.locks[0]!;
  const online = once(lock, 'online');
  await driver.start(() => undefined);
  await online;
  return {
    ...modelBacked(lock, lock),
    refuseNext: (kind) => lock.refuseNext(kind),
    loseNextReply: () => lock.dropConfirmation(1),
    goSilent: () => lock.setOffline(true),
    comeBack: () => lock.setOffline(false),
    reboot: (factoryReset) => lock.reboot(factoryReset),
    logText: () => null,
    cleanup: () => driver.stop(),
  };
}

describeLockHandleContract('simulated driver', simulatedSubject, {
  log: 'the simulated driver takes no logger, so it has nothing to search',
});
