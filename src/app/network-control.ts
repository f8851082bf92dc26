// The API's NetworkControl port over a driver's LockNetwork: device ids to driver identities.
import type { LockNetwork } from '../../drivers/driver.ts';
import type { NetworkControl } from '../api/context.ts';
import type { Store } from '../store/store.ts';

export function networkControl(network: LockNetwork, store: Store): NetworkControl {
  const identity = (deviceId: string): string => {
    const device = store.devices.get(deviceId);
    if (!device) throw new Error(`no device ${deviceId}`);
    return device.identity;
  };
  return {
    get available() {
      return network.available;
    },
    permitJoin: (seconds, through) =>
      network.permitJoin(seconds, through === null ? null : identity(through)),
    removeDevice: (deviceId, force) => network.remove(identity(deviceId), force),
  };
}
