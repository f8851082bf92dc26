// A deconz stick lost for good in this process: the bridge asks to be restarted (the command then
// stops it cleanly and exits for systemd), and meanwhile the other locks go on; after the restart
// (a new process: the port is free again) the Zigbee lock is back with its codes, nothing lost.
import { afterEach, expect, it } from 'vitest';
import { simLock } from '../../drivers/zigbee/simulator/lock-kinds.ts';
import { SimulatedZigbeeNetwork } from '../../drivers/zigbee/simulator/sim-network.ts';
import { eventually } from '../helpers/api-client.ts';
import { Harness, releaseAll } from '../helpers/bridge-harness.ts';

const harnesses: Harness[] = [];
let network: SimulatedZigbeeNetwork | null = null;
afterEach(async () => {
  await releaseAll(harnesses);
  network?.close();
});

const IEEE = '0x000d6f000a1b2c3d';

it('deconz: a restart is asked once; a simulated lock keeps working meanwhile; after the restart the Zigbee lock and its code are back', async () => {
  network = new SimulatedZigbeeNetwork({ port_locked_after_stop: true, always_resumed: true });
  const yaml = [
    'locks:',
    '  - { name: Front door, driver: simulated, simulated: { latency_ms: 5 } }',
    'zigbee:',
    '  adapter: deconz',
    `  port: ${network.path}`,
    '  response_timeout_ms: 600',
  ].join('\n');
  const restarts: string[] = [];
  const first = new Harness(null, { yaml, onRestartNeeded: (reason) => restarts.push(reason) });
  harnesses.push(first);
  await first.start();
  const sim = network.add(simLock('reads_back', IEEE, { users: 10 }));
  await first.call('zigbee/permit_join', { seconds: 60 });
  await eventually(() => network!.permitJoinOpen, 5000, 'joining open');
  network.join(sim);
  const zigbee = () => first.bridge.store.devices.byIdentity(`zigbee:${IEEE}`);
  await eventually(() => zigbee()?.online, 5000, 'the Zigbee lock online');
  const zigbeeId = zigbee()!.device_id;
  const code = await first.call('access_codes/create', { device_id: zigbeeId, code: '482916' });
  await eventually(
    () => first.bridge.store.codes.get(code.access_code.access_code_id)?.status === 'set',
    5000,
    'set',
  );

  network.unplug();
  await eventually(() => restarts.length === 1, 5000, 'a restart asked');
  expect(restarts[0]).toMatch(/Zigbee coordinator lost/);
  expect(zigbee()!.online).toBe(false);
  // The other locks go on.
  const simulated = first.bridge.store.devices.list().find((d) => d.driver === 'simulated')!;
  const other = await first.call('access_codes/create', { device_id: simulated.device_id, code: '613094' });
  await eventually(
    () => first.bridge.store.codes.get(other.access_code.access_code_id)?.status === 'set',
    5000,
    'set',
  );
  expect(restarts).toHaveLength(1);

  // What `lockbridge run` does: a clean stop; systemd starts a new process on the same store.
  await first.stop();
  network.replug();
  network.newProcess();
  const second = new Harness(null, { yaml, dataDir: first.dataDir });
  harnesses.unshift(second); // stopped before the first's directory goes
  await second.start();
  await eventually(
    () => second.bridge.store.devices.get(zigbeeId)?.online,
    5000,
    'the Zigbee lock online again',
  );
  expect(second.bridge.store.codes.get(code.access_code.access_code_id)?.status).toBe('set');
  // The simulated lock of the configuration starts empty in a new process: its code is set again.
  await eventually(
    () => second.bridge.store.codes.get(other.access_code.access_code_id)?.status === 'set',
    5000,
    'set',
  );
  expect([...sim.users.values()].map((u) => u.pin)).toEqual(['482916']);
});
