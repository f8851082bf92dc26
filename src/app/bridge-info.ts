// bridge/info: what an operator checks first.
import type { ClockKeeper } from '../clock/clock-keeper.ts';
import { iso } from '../core/access-code.ts';
import type { Store } from '../store/store.ts';

export interface BridgeInfoSources {
  gatewayId: string;
  store: Store;
  clock: ClockKeeper;
  version: string;
  startedAt: number;
}

export function bridgeInfo(sources: BridgeInfoSources) {
  const clock = sources.clock.status();
  return {
    version: sources.version,
    gateway_id: sources.gatewayId,
    started_at: iso(sources.startedAt),
    device_count: sources.store.devices.list().length,
    store_size_bytes: sources.store.sizeBytes(),
    node_version: process.version,
    clock: {
      trusted: clock.trusted,
      reason: clock.reason,
      synchronised: clock.synchronised,
      floor: iso(clock.floor),
    },
  };
}
