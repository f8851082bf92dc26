// bridge/info: what an operator checks first.
import type { ClockKeeper } from '../clock/clock-keeper.ts';
import { iso } from '../core/access-code.ts';
import type { Store } from '../store/store.ts';
import type { Transport } from '../transports/transport.ts';

export interface BridgeInfoSources {
  gatewayId: string;
  store: Store;
  clock: ClockKeeper;
  version: string;
  startedAt: number;
  /** Each may add what an operator should see (webhook endpoints failing, the HTTP API's URL). */
  transports?: readonly Transport[];
}

function storageInfo(store: Store) {
  const { writable, since, reason } = store.health.status;
  return { writable, since: since === null ? null : iso(since), reason };
}

export function bridgeInfo(sources: BridgeInfoSources) {
  const clock = sources.clock.status();
  return {
    version: sources.version,
    gateway_id: sources.gatewayId,
    started_at: iso(sources.startedAt),
    device_count: sources.store.devices.list().length,
    store_size_bytes: sources.store.sizeBytes(),
    // Whether the store can write (a full or read-only disk): requests are refused meanwhile.
    storage: storageInfo(sources.store),
    node_version: process.version,
    clock: {
      trusted: clock.trusted,
      reason: clock.reason,
      synchronised: clock.synchronised,
      floor: iso(clock.floor),
    },
    // How far behind each event consumer (MQTT, each webhook endpoint) is.
    event_backlogs: sources.store.events.backlogs().map((b) => ({
      consumer: b.consumer,
      undelivered: b.undelivered,
      oldest_created_at: b.oldest_created_at === null ? null : iso(b.oldest_created_at),
    })),
    ...Object.assign({}, ...(sources.transports ?? []).map((t) => t.status?.() ?? {})),
  };
}
