// The LockHandle contract against the lockwire serial driver: the real SerialDriver over a socat
// pty pair to a LockSimulator, whose LockModel and SimFaults are the backdoor; the Bench keeps the
// driver's log lines so the suite can search them for PINs.
import type { Request } from '../../../drivers/serial/lockwire/messages.ts';
import { Bench, FAST, lockOptions, until } from '../serial/harness.ts';
import {
  type ContractSubject,
  describeLockHandleContract,
  modelBacked,
  type SubjectVariant,
} from './lock-handle-contract.ts';

/** Short, so a silent lock is given up on in 4 × 80 ms; a pty answers in a few ms. */
const RESPONSE_TIMEOUT_MS = 80;

async function serialSubject(variant: SubjectVariant = {}): Promise<ContractSubject> {
  const bench = await Bench.create();
  try {
    const pair = await bench.pair('contract');
    const sim = await bench.simulator(lockOptions('LKC0001', variant), pair.lockPath);
    const { announced } = await bench.driver(
      [{ name: 'Contract door', path: pair.hostPath, response_timeout_ms: RESPONSE_TIMEOUT_MS }],
      FAST,
    );
    await until(() => announced[0]?.online === true, 'the lock online');
    const lock = announced[0]!;
    return {
      ...modelBacked(lock, sim),
      refuseNext: (kind) => sim.faults.refuse(kind),
      // Lockwire re-sends an unanswered request and the lock answers a re-send from memory, so one
      // lost response is no lost reply: the lock acts, then hears nothing more until the driver
      // has given up on it (gone offline), as a lock that hung right after acting.
      loseNextReply: () => {
        const arm = (request: Request) => {
          if (request.type !== 'write_slot' && request.type !== 'clear_slot') return;
          sim.off('executed', arm);
          sim.faults.loseResponses(1);
          sim.faults.silent = true;
          lock.once('offline', () => {
            sim.faults.silent = false;
          });
        };
        sim.on('executed', arm);
      },
      goSilent: () => {
        sim.faults.silent = true;
      },
      comeBack: () => {
        sim.faults.silent = false;
      },
      reboot: (factoryReset) => sim.reboot(factoryReset),
      logText: () => JSON.stringify(bench.lines),
      cleanup: () => bench.cleanup(),
    };
  } catch (error) {
    await bench.cleanup();
    throw error;
  }
}

describeLockHandleContract('lockwire serial driver', serialSubject);
