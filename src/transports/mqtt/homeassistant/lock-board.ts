// What Home Assistant shows of each lock: the bolt (with LOCKING / UNLOCKING while a lock or unlock
// this transport handed to the API is pending), battery and connectivity, kept in memory from the
// device records the bridge publishes anyway; and how many codes are set, pending and failed,
// asked of the store when the lock's state is published (one indexed query for that lock), so
// nothing is kept per code however many codes the hub holds.
import type { LockCodeCounts } from '../../transport.ts';

/** The device object of the contract, as far as Home Assistant needs it. */
export interface DeviceRecord {
  device_id: string;
  name: string;
  properties: {
    online: boolean;
    locked: boolean | null;
    jammed?: boolean;
    battery_level: number | null;
    manufacturer: string | null;
    model: string | null;
    serial_number: string | null;
  };
  errors?: Array<{ error_code: string }>;
}

/** A lock that left its network or was removed from it has no entities in Home Assistant. */
export const isRemoved = (device: DeviceRecord): boolean =>
  device.errors?.some((error) => error.error_code === 'device_removed') ?? false;

/** The access code object of the contract, as far as Home Assistant needs it. */
export interface CodeRecord {
  access_code_id: string;
  device_id: string;
}

/** The JSON on a lock's Home Assistant state topic. */
export interface LockState {
  lock: 'LOCKED' | 'UNLOCKED' | 'JAMMED' | 'LOCKING' | 'UNLOCKING' | 'None';
  /** 0..100, or null while unknown. */
  battery: number | null;
  connectivity: 'ON' | 'OFF';
  codes_set: number;
  codes_pending: number;
  codes_failed: number;
}

/** Ended attempts remembered, at most. */
const MAX_ENDED = 256;

interface DoorAction {
  deviceId: string;
  locking: boolean;
}

export class LockBoard {
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly doorActions = new Map<string, DoorAction>();
  /** Attempts that ended, newest last: an end may be heard before the request's answer. */
  private readonly ended = new Set<string>();
  /** Each lock's counts as last asked, until one of its codes changes (a device record changes none). */
  private readonly counted = new Map<string, LockCodeCounts>();

  /**
   * changed: told with a lock's id whenever what Home Assistant shows of it may have changed.
   * counts: the lock's codes as the store counts them now.
   */
  constructor(
    private readonly changed: (deviceId: string) => void,
    private readonly counts: (deviceId: string) => LockCodeCounts,
  ) {}

  deviceIds(): string[] {
    return [...this.devices.keys()];
  }

  device(deviceId: string): DeviceRecord | undefined {
    return this.devices.get(deviceId);
  }

  deviceSeen(device: DeviceRecord): void {
    this.devices.set(device.device_id, device);
    this.changed(device.device_id);
  }

  deviceGone(deviceId: string): void {
    this.devices.delete(deviceId);
    this.counted.delete(deviceId);
    for (const [id, action] of this.doorActions)
      if (action.deviceId === deviceId) this.doorActions.delete(id);
  }

  /** One of the lock's codes changed (or went): its counts may have. */
  codesChanged(deviceId: string): void {
    this.counted.delete(deviceId);
    if (this.devices.has(deviceId)) this.changed(deviceId);
  }

  /** A code went whose lock is no longer known: any lock's counts may have changed. */
  someCodesChanged(): void {
    this.counted.clear();
    for (const deviceId of this.devices.keys()) this.changed(deviceId);
  }

  /** A lock or unlock was accepted and is pending (action attempt `attemptId`). */
  doorActionPending(attemptId: string, deviceId: string, locking: boolean): void {
    if (this.ended.has(attemptId)) return;
    this.doorActions.set(attemptId, { deviceId, locking });
    this.changed(deviceId);
  }

  /** An action attempt ended (succeeded or failed); nothing when it was not a door action of ours. */
  attemptEnded(attemptId: string): void {
    this.ended.add(attemptId);
    if (this.ended.size > MAX_ENDED) this.ended.delete(this.ended.values().next().value!);
    const action = this.doorActions.get(attemptId);
    if (!action) return;
    this.doorActions.delete(attemptId);
    this.changed(action.deviceId);
  }

  state(deviceId: string): LockState | null {
    const device = this.devices.get(deviceId);
    if (!device) return null;
    let counts = this.counted.get(deviceId);
    if (!counts) {
      counts = this.counts(deviceId);
      this.counted.set(deviceId, counts);
    }
    const { properties: p } = device;
    return {
      lock: this.lockState(deviceId, p),
      battery: p.battery_level === null ? null : Math.round(p.battery_level * 100),
      connectivity: p.online ? 'ON' : 'OFF',
      codes_set: counts.set,
      codes_pending: counts.pending,
      codes_failed: counts.failed,
    };
  }

  private lockState(deviceId: string, p: DeviceRecord['properties']): LockState['lock'] {
    let pending: DoorAction | undefined;
    for (const action of this.doorActions.values()) if (action.deviceId === deviceId) pending = action;
    if (pending) return pending.locking ? 'LOCKING' : 'UNLOCKING';
    if (p.jammed) return 'JAMMED';
    if (p.locked === null) return 'None'; // Home Assistant's "unknown"
    return p.locked ? 'LOCKED' : 'UNLOCKED';
  }
}
