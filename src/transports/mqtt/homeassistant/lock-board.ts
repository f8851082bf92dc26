// What Home Assistant shows of each lock, kept in memory and updated from the objects the bridge
// publishes anyway (device and access code records, events): the bolt (with LOCKING / UNLOCKING
// while a lock or unlock this transport handed to the API is pending), battery, connectivity, and
// how many codes are set, pending and failed. The counts move one code at a time: a change of one
// code never rescans the others.

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

/** The access code object of the contract, as far as the counts need it. */
export interface CodeRecord {
  access_code_id: string;
  device_id: string;
  name: string | null;
  status: string;
  errors: unknown[];
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

type Bucket = 'set' | 'pending' | 'failed' | null;

interface Counts {
  set: number;
  pending: number;
  failed: number;
}

interface DoorAction {
  deviceId: string;
  locking: boolean;
}

/** A code counts as failed while it has errors, set once confirmed, pending while the lock works on it. */
function bucketOf(code: CodeRecord): Bucket {
  if (code.errors.length > 0) return 'failed';
  if (code.status === 'set') return 'set';
  if (code.status === 'setting' || code.status === 'removing' || code.status === 'unknown') return 'pending';
  return null; // unset: a time-bound code waiting for its window
}

export class LockBoard {
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly counts = new Map<string, Counts>();
  private readonly codes = new Map<string, { deviceId: string; bucket: Bucket; name: string | null }>();
  private readonly doorActions = new Map<string, DoorAction>();
  /** Attempts that ended, newest last: an end may be heard before the request's answer. */
  private readonly ended = new Set<string>();

  /** Called with a lock's id whenever what Home Assistant shows of it may have changed. */
  constructor(private readonly changed: (deviceId: string) => void) {}

  deviceIds(): string[] {
    return [...this.devices.keys()];
  }

  device(deviceId: string): DeviceRecord | undefined {
    return this.devices.get(deviceId);
  }

  /** Forgets every code (before a full snapshot is loaded again). */
  resetCodes(): void {
    this.codes.clear();
    this.counts.clear();
  }

  deviceSeen(device: DeviceRecord): void {
    this.devices.set(device.device_id, device);
    this.changed(device.device_id);
  }

  deviceGone(deviceId: string): void {
    this.devices.delete(deviceId);
    this.counts.delete(deviceId);
    for (const [id, code] of this.codes) if (code.deviceId === deviceId) this.codes.delete(id);
    for (const [id, action] of this.doorActions)
      if (action.deviceId === deviceId) this.doorActions.delete(id);
  }

  codeSeen(code: CodeRecord): void {
    this.move(code.access_code_id, code.device_id, bucketOf(code), code.name);
  }

  codeGone(accessCodeId: string): void {
    const known = this.codes.get(accessCodeId);
    if (!known) return;
    this.move(accessCodeId, known.deviceId, null, null);
    this.codes.delete(accessCodeId);
  }

  codeName(accessCodeId: string): string | null {
    return this.codes.get(accessCodeId)?.name ?? null;
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
    const counts = this.counts.get(deviceId) ?? { set: 0, pending: 0, failed: 0 };
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

  private move(accessCodeId: string, deviceId: string, bucket: Bucket, name: string | null): void {
    const before = this.codes.get(accessCodeId);
    this.codes.set(accessCodeId, { deviceId, bucket, name });
    if (before?.bucket === bucket && before.deviceId === deviceId) return;
    if (before?.bucket) this.adjust(before.deviceId, before.bucket, -1);
    if (bucket) this.adjust(deviceId, bucket, +1);
    if (before && before.deviceId !== deviceId) this.changed(before.deviceId);
    this.changed(deviceId);
  }

  private adjust(deviceId: string, bucket: Exclude<Bucket, null>, by: number): void {
    let counts = this.counts.get(deviceId);
    if (!counts) {
      counts = { set: 0, pending: 0, failed: 0 };
      this.counts.set(deviceId, counts);
    }
    counts[bucket] = Math.max(0, counts[bucket] + by);
  }
}
