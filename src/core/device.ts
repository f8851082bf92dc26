// The device model (a lock as the bridge knows it) and what the lock's reports change about it:
// connectivity, battery, lock and door state, keypad use. Pure: a device and a report in, the
// device's next state and the events that say so out.
import type { EventDraft } from './events.ts';

export type DriverKind = 'simulated' | 'serial' | 'zigbee';

export interface LockCapabilities {
  slot_count: number;
  min_code_length: number;
  max_code_length: number;
  /** Slot readings carry the PIN. */
  can_read_codes: boolean;
  /** The lock enforces a slot's starts_at/ends_at itself. */
  supports_native_scheduling: boolean;
  manufacturer: string | null;
  model: string | null;
  serial_number: string | null;
  firmware: string | null;
}

export type LockState = 'unknown' | 'locked' | 'unlocked' | 'jammed';
export type DoorState = 'unknown' | 'closed' | 'open';
export type LockActionSource = 'keypad' | 'manual' | 'host' | 'automatic' | 'unknown';
export type CodeAttemptResult = 'unlocked' | 'rejected_schedule' | 'rejected_disabled';

export interface Device {
  device_id: string;
  /** The driver's stable identity (serial number, IEEE address): how a lock is recognised again. */
  identity: string;
  driver: DriverKind;
  name: string;
  capabilities: LockCapabilities | null;
  online: boolean;
  locked: boolean | null;
  /** The lock reported its bolt jammed (locked is then null) until it reports a bolt position again. */
  jammed: boolean;
  door_open: boolean | null;
  battery_level: number | null;
  /** When every slot was last read from the lock; null: never (a new lock). */
  slots_read_at: number | null;
  /** A read of every slot is under way and goes on from this slot (it survives restarts); null: none. */
  full_read_from: number | null;
  /** When the lock left its network or was removed from it; null: it is on its network. */
  removed_at: number | null;
  created_at: number;
}

export interface DeviceChange {
  device: Device;
  events: EventDraft[];
}

/** The access code (managed or unmanaged) a slot holds, as events name it. */
export interface CodeRef {
  access_code_id: string;
  access_code_is_managed: boolean;
}

const LOW_BATTERY = 0.2;

const METHOD: Record<LockActionSource, string> = {
  keypad: 'keycode',
  manual: 'manual',
  host: 'remote',
  automatic: 'automatic',
  unknown: 'unknown',
};

const unchanged = (device: Device): DeviceChange => ({ device, events: [] });

/** The lock answers, with these capabilities. */
export function connected(device: Device, caps: LockCapabilities): DeviceChange {
  const next = { ...device, online: true, capabilities: caps };
  return {
    device: next,
    events: device.online ? [] : [{ event_type: 'device.connected', device_id: device.device_id }],
  };
}

export function disconnected(device: Device, reason: string): DeviceChange {
  if (!device.online) return unchanged(device);
  return {
    device: { ...device, online: false },
    events: [{ event_type: 'device.disconnected', device_id: device.device_id, fields: { reason } }],
  };
}

/** A lock joined its network and was interviewed (a Zigbee lock paired, or paired again after leaving). */
export function added(device: Device): DeviceChange {
  return {
    device: { ...device, removed_at: null },
    events: [{ event_type: 'device.added', device_id: device.device_id }],
  };
}

/** The lock left its network or was removed from it: unreachable until it joins again; its codes stay. */
export function removed(device: Device, reason: string, at: number): DeviceChange {
  const gone = disconnected(device, reason);
  return {
    device: { ...gone.device, removed_at: at },
    events: [
      ...gone.events,
      { event_type: 'device.removed', device_id: device.device_id, fields: { reason } },
    ],
  };
}

/** At start nothing is known to answer: offline, silently, until its driver says otherwise. */
export function notYetHeard(device: Device): DeviceChange {
  return { device: { ...device, online: false }, events: [] };
}

export function batteryReported(device: Device, level: number): DeviceChange {
  if (device.battery_level === level) return unchanged(device);
  const events: EventDraft[] = [
    {
      event_type: 'device.battery_status_changed',
      device_id: device.device_id,
      fields: { battery_level: level },
    },
  ];
  const wasLow = device.battery_level !== null && device.battery_level < LOW_BATTERY;
  if (level < LOW_BATTERY && !wasLow) {
    events.push({
      event_type: 'device.low_battery',
      device_id: device.device_id,
      fields: { battery_level: level },
    });
  }
  return { device: { ...device, battery_level: level }, events };
}

export function doorReported(device: Device, door: DoorState): DeviceChange {
  const open = door === 'unknown' ? null : door === 'open';
  return device.door_open === open
    ? unchanged(device)
    : { device: { ...device, door_open: open }, events: [] };
}

/**
 * The lock reports its bolt; `used` is the code in the slot the lock names, when it names one.
 * A report with source `unknown` is a reading (the status read on every connect), not an action:
 * it is an event only when it says the bolt moved since the bridge last knew.
 */
export function lockStateReported(
  device: Device,
  state: LockState,
  source: LockActionSource,
  used: CodeRef | null,
): DeviceChange {
  const locked = state === 'locked' ? true : state === 'unlocked' ? false : null;
  const jammed = state === 'jammed';
  if (source === 'unknown' && locked === device.locked && jammed === device.jammed) return unchanged(device);
  const next = { ...device, locked, jammed };
  const firstReading = source === 'unknown' && device.locked === null;
  // A keypad unlock is reported by codeUsed and a host action by its action attempt: once each.
  if (locked === null || firstReading || source === 'host' || (source === 'keypad' && !locked))
    return { device: next, events: [] };
  return {
    device: next,
    events: [
      {
        event_type: locked ? 'lock.locked' : 'lock.unlocked',
        device_id: device.device_id,
        ...(used ? { access_code_id: used.access_code_id } : {}),
        fields: { method: METHOD[source], ...(used ?? {}) },
      },
    ],
  };
}

/** Someone entered a code held in `slot` at the keypad. */
export function codeUsed(
  device: Device,
  slot: number,
  result: CodeAttemptResult,
  used: CodeRef | null,
): DeviceChange {
  const fields = { method: 'keycode', slot, ...(used ?? {}) };
  const event: EventDraft =
    result === 'unlocked'
      ? { event_type: 'lock.unlocked', device_id: device.device_id, fields }
      : {
          event_type: 'lock.access_denied',
          device_id: device.device_id,
          fields: { ...fields, reason: result },
        };
  if (used) event.access_code_id = used.access_code_id;
  return {
    device: result === 'unlocked' ? { ...device, locked: false, jammed: false } : device,
    events: [event],
  };
}

/** Someone entered a PIN the lock does not hold (`attempts` in a row). */
export function wrongCode(device: Device, attempts: number): DeviceChange {
  return {
    device,
    events: [
      {
        event_type: 'lock.access_denied',
        device_id: device.device_id,
        fields: { method: 'keycode', reason: 'wrong_code', attempts },
      },
    ],
  };
}

/** The lock confirmed a lock or unlock the bridge asked for. */
export function actuated(device: Device, locked: boolean, actionAttemptId: string): DeviceChange {
  return {
    device: { ...device, locked, jammed: false },
    events: [
      {
        event_type: locked ? 'lock.locked' : 'lock.unlocked',
        device_id: device.device_id,
        action_attempt_id: actionAttemptId,
        fields: { method: 'remote' },
      },
    ],
  };
}
