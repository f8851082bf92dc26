// One bridge (simulated locks, real store) behind a real Mosquitto, and a client speaking the API.
import { ApiClient, eventually } from '../helpers/api-client.ts';
import {
  Harness,
  type HarnessOptions,
  ROOT,
  type SimLockSpec,
  simulatedDriver,
} from '../helpers/bridge-harness.ts';
import { type Broker, startMosquitto } from '../helpers/mosquitto.ts';

export interface E2e {
  broker: Broker;
  h: Harness;
  api: ApiClient;
  close(): Promise<void>;
}

export async function startE2e(
  specs: SimLockSpec[],
  options: Omit<HarnessOptions, 'brokerUrl'> = {},
): Promise<E2e> {
  const broker = await startMosquitto();
  const h = new Harness(simulatedDriver(specs), { ...options, brokerUrl: broker.url });
  await h.start();
  await eventually(
    () => specs.every((_, i) => h.bridge.store.devices.byIdentity(h.lock(i).identity)?.online),
    5000,
    'locks online',
  );
  const api = await ApiClient.connect(broker.url, ROOT);
  return {
    broker,
    h,
    api,
    async close() {
      await api.close().catch(() => undefined);
      await h.stop().catch(() => undefined);
      h.cleanup();
      await broker.stop();
    },
  };
}
