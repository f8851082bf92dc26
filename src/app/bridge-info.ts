// bridge/info and `lockbridge status`: what an operator checks first. The store's part (codes
// waiting for their lock, event backlogs, size) can be read from the store alone, beside a
// running daemon or without one; the running bridge adds what only it knows (uptime, the broker,
// which locks answer, what the reconciler is doing, the last problem of each subsystem).
import type { ClockStatus } from '../clock/clock-trust.ts';
import { iso } from '../core/access-code.ts';
import type { Problem } from '../log/last-problems.ts';
import type { QueueHealth } from '../reconciler/lock-queue.ts';
import type { StorageStatus } from '../store/storage-health.ts';
import type { Store } from '../store/store.ts';
import type { TransportHealth } from '../transports/transport.ts';

export interface EventBacklog {
  consumer: string;
  undelivered: number;
  oldest_undelivered_at: string | null;
  oldest_undelivered_age_s: number | null;
}

/** What the store says, running daemon or not. */
export interface StoreInfo {
  gateway_id: string;
  device_count: number;
  store_size_bytes: number;
  schema_version: number;
  codes: Record<string, number>;
  pending: { codes: number; door_actions: number; total: number };
  event_backlog: EventBacklog[];
}

export interface LiveSources {
  version: string;
  startedAt: number;
  clock: ClockStatus;
  /** The locks the drivers reach now: online ones, and the names of those that do not answer. */
  locks: { online: number; offline: string[] };
  reconciler: QueueHealth;
  transports: Record<string, TransportHealth>;
  problems: Record<string, Problem>;
  /** Whether the store can write (a full or read-only disk): requests that write are refused meanwhile. */
  storage: StorageStatus;
  /** What transports add for an operator (the HTTP API's address, failing webhook endpoints). */
  extras: Record<string, unknown>;
}

export type BridgeInfo = ReturnType<typeof bridgeInfo>;

export function storeInfo(store: Store, gatewayId: string, now: number): StoreInfo {
  const counts = store.health.codeCounts();
  const attempts = store.health.pendingAttempts();
  const by = counts.by_status;
  const pendingCodes = (by.setting ?? 0) + (by.removing ?? 0) + (by.unknown ?? 0) + counts.awaiting_removal;
  const doorActions = (attempts.LOCK_DOOR ?? 0) + (attempts.UNLOCK_DOOR ?? 0);
  return {
    gateway_id: gatewayId,
    device_count: store.health.deviceCount(),
    store_size_bytes: store.sizeBytes(),
    schema_version: store.health.schemaVersion(),
    codes: {
      set: by.set ?? 0,
      setting: by.setting ?? 0,
      unset: by.unset ?? 0,
      removing: by.removing ?? 0,
      unknown: by.unknown ?? 0,
      failed: counts.failed,
      awaiting_removal: counts.awaiting_removal,
    },
    pending: { codes: pendingCodes, door_actions: doorActions, total: pendingCodes + doorActions },
    event_backlog: store.events.backlogs().map((b) => ({
      consumer: b.consumer,
      undelivered: b.undelivered,
      oldest_undelivered_at: b.oldest_created_at === null ? null : iso(b.oldest_created_at),
      oldest_undelivered_age_s:
        b.oldest_created_at === null ? null : Math.max(0, Math.round((now - b.oldest_created_at) / 1000)),
    })),
  };
}

export function bridgeInfo(store: StoreInfo, live: LiveSources, now: number) {
  const broker = live.transports.mqtt;
  const oldestStep = live.reconciler.oldest_step_started_at;
  return {
    version: live.version,
    gateway_id: store.gateway_id,
    node_version: process.version,
    started_at: iso(live.startedAt),
    updated_at: iso(now),
    uptime_s: Math.round((now - live.startedAt) / 1000),
    device_count: store.device_count,
    store_size_bytes: store.store_size_bytes,
    schema_version: store.schema_version,
    storage: {
      writable: live.storage.writable,
      since: live.storage.since === null ? null : iso(live.storage.since),
      reason: live.storage.reason,
    },
    broker_connected: broker?.connected ?? null,
    transports: Object.fromEntries(
      Object.entries(live.transports).map(([name, t]) => [
        name,
        { ...t, since: t.since === null ? null : iso(t.since) },
      ]),
    ),
    locks: {
      online: live.locks.online,
      offline: live.locks.offline.length,
      offline_names: live.locks.offline,
    },
    codes: store.codes,
    pending: store.pending,
    event_backlog: store.event_backlog,
    reconciler: {
      steps_running: live.reconciler.running,
      longest_step_s: oldestStep === null ? null : Math.round((now - oldestStep) / 1000),
      locks_failing: live.reconciler.failing,
    },
    clock: {
      trusted: live.clock.trusted,
      reason: live.clock.reason,
      synchronised: live.clock.synchronised,
      floor: iso(live.clock.floor),
    },
    last_errors: Object.fromEntries(
      Object.entries(live.problems).map(([subsystem, p]) => [subsystem, { ...p, at: iso(p.at) }]),
    ),
    ...live.extras,
  };
}

/**
 * The part of the info whose change is worth a publish: without the clock's own progress (uptime,
 * updated_at, ages, a running step's duration) and the store's size (every write, this one's
 * included, grows the WAL), so an idle bridge writes nothing.
 */
export function infoFingerprint(info: BridgeInfo): string {
  const { uptime_s: _u, updated_at: _t, store_size_bytes: _s, reconciler, event_backlog, ...rest } = info;
  return JSON.stringify({
    ...rest,
    reconciler: { ...reconciler, longest_step_s: null },
    event_backlog: event_backlog.map(({ oldest_undelivered_age_s: _a, ...b }) => b),
  });
}
