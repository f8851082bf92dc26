// bridge/info: what an operator checks first.
import { iso } from '../core/access-code.ts';
import type { Bridge } from './bridge.ts';

const startedAt = Date.now();

export function bridgeInfo(bridge: Bridge, version = process.env.npm_package_version ?? 'unknown') {
  const clock = bridge.clock.status();
  return {
    version,
    gateway_id: bridge.config.gateway_id,
    started_at: iso(startedAt),
    device_count: bridge.store.devices.list().length,
    store_size_bytes: bridge.store.sizeBytes(),
    node_version: process.version,
    clock: {
      trusted: clock.trusted,
      reason: clock.reason,
      synchronised: clock.synchronised,
      floor: iso(clock.floor),
    },
  };
}
