// zigbee/permit_join and zigbee/remove_device refuse what they can't do, clearly: no Zigbee network
// configured, a coordinator that is not running, a device that is no Zigbee lock, bad parameters.
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedZigbeeNetwork } from '../../drivers/zigbee/simulator/sim-network.ts';
import { eventually } from '../helpers/api-client.ts';
import { Harness, releaseAll, simulatedDriver } from '../helpers/bridge-harness.ts';

const harnesses: Harness[] = [];
const networks: SimulatedZigbeeNetwork[] = [];
afterEach(async () => {
  await releaseAll(harnesses);
  for (const network of networks.splice(0)) network.close();
});

async function withZigbee(): Promise<{ h: Harness; network: SimulatedZigbeeNetwork }> {
  const network = new SimulatedZigbeeNetwork();
  networks.push(network);
  const yaml = `locks:\n  - { name: Front door, driver: simulated }\nzigbee:\n  adapter: zstack\n  port: ${network.path}\n`;
  const h = new Harness(null, { yaml });
  harnesses.push(h);
  await h.start();
  return { h, network };
}

describe('Zigbee routes', () => {
  it('without a zigbee section: zigbee_not_configured, for both', async () => {
    const h = new Harness(simulatedDriver([{ name: 'Front door' }]));
    harnesses.push(h);
    await h.startOnline();
    const permit = await h.call('zigbee/permit_join', { seconds: 60 });
    expect(permit).toMatchObject({ ok: false, error: { type: 'zigbee_not_configured' } });
    expect(permit.error.message).toContain('No Zigbee network is configured');
    const remove = await h.call('zigbee/remove_device', { device_id: h.deviceId() });
    expect(remove.error.type).toBe('zigbee_not_configured');
  });

  it('bad parameters, an unknown device, and a device that is no Zigbee lock are refused; nothing is asked of the coordinator', async () => {
    const { h, network } = await withZigbee();
    expect((await h.call('zigbee/permit_join', { seconds: 255 })).error.type).toBe('invalid_input');
    expect((await h.call('zigbee/permit_join', {})).error.validation_errors.seconds._errors).toEqual([
      'Required',
    ]);
    expect((await h.call('zigbee/permit_join', { seconds: 5, device_id: 'nope' })).error.type).toBe(
      'device_not_found',
    );
    const simulated = h.bridge.store.devices.list().find((d) => d.driver === 'simulated')!;
    const remove = await h.call('zigbee/remove_device', { device_id: simulated.device_id });
    expect(remove.error).toMatchObject({
      type: 'invalid_input',
      message: 'Must be a Zigbee device for provided "device_id"',
    });
    expect(h.bridge.store.attempts.pending('REMOVE_DEVICE')).toEqual([]);
    expect(network.permitJoinOpen).toBe(false);
    // The bridge is still fine: joining opens when asked properly, and closes with 0.
    expect(await h.call('zigbee/permit_join', { seconds: 30 })).toMatchObject({ ok: true });
    await eventually(() => network.permitJoinOpen, 5000, 'joining open');
    await h.call('zigbee/permit_join', { seconds: 0 });
    await eventually(() => !network.permitJoinOpen, 5000, 'joining closed');
  });

  it('while the coordinator is away: zigbee_unavailable', async () => {
    const { h, network } = await withZigbee();
    network.unplug();
    await eventually(
      async () => (await h.call('zigbee/permit_join', { seconds: 5 })).error?.type === 'zigbee_unavailable',
      5000,
      'unavailable',
    );
  });
});
