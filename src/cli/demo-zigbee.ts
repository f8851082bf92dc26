// The demo's Zigbee lock: a simulated coordinator on the demo configuration's sim:// port and one
// simulated door lock (year-day schedules) that joins once the bridge runs, through permit_join as
// a real one would. herdsman's real Controller runs over it.
import { simLock } from '../../drivers/zigbee/simulator/lock-kinds.ts';
import { SimulatedZigbeeNetwork } from '../../drivers/zigbee/simulator/sim-network.ts';
import type { Bridge } from '../app/bridge.ts';

const DEMO_LOCK = '0x000d6f0000d0e301';

export function demoZigbee(port: string): { pair(bridge: Bridge): Promise<void> } {
  const network = new SimulatedZigbeeNetwork({ path: port, latency_ms: 15 });
  const lock = network.add(simLock('year_day', DEMO_LOCK, { users: 30 }));
  return {
    async pair(bridge) {
      await bridge.api('zigbee/permit_join', Buffer.from('{"seconds":30}'), {
        generatedRequestId: 'demo-join',
      });
      for (let i = 0; i < 100 && !network.permitJoinOpen; i++) await new Promise((r) => setTimeout(r, 20));
      if (network.permitJoinOpen) network.join(lock);
    },
  };
}
