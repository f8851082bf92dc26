// The device object of the contract.
import { iso } from '../core/access-code.ts';
import type { Device } from '../core/device.ts';

export function deviceView(device: Device) {
  const caps = device.capabilities;
  return {
    device_id: device.device_id,
    name: device.name,
    driver: device.driver,
    properties: {
      online: device.online,
      locked: device.locked,
      jammed: device.jammed,
      door_open: device.door_open,
      battery_level: device.battery_level,
      code_constraints: caps
        ? { min_code_length: caps.min_code_length, max_code_length: caps.max_code_length }
        : null,
      max_active_codes_supported: caps?.slot_count ?? null,
      supports_native_scheduling: caps?.supports_native_scheduling ?? false,
      can_read_codes: caps?.can_read_codes ?? false,
      manufacturer: caps?.manufacturer ?? null,
      model: caps?.model ?? null,
      serial_number: caps?.serial_number ?? null,
      slot_read: slotRead(device),
    },
    errors: deviceErrors(device),
    warnings: [],
    created_at: iso(device.created_at),
  };
}

/**
 * How far reading every slot of the lock has come: a radio lock is read in full once, in the
 * background (next_slot of slot_count), and says when that was done.
 */
function slotRead(device: Device) {
  const complete = device.full_read_from === null && device.slots_read_at !== null;
  return {
    complete,
    next_slot: complete ? null : (device.full_read_from ?? 1),
    slot_count: device.capabilities?.slot_count ?? null,
    completed_at: complete && device.slots_read_at !== null ? iso(device.slots_read_at) : null,
  };
}

/** Offline, or removed from its network (which says more than offline, and so replaces it). */
function deviceErrors(device: Device) {
  if (device.removed_at !== null) {
    return [
      {
        error_code: 'device_removed',
        message: 'The lock left its network or was removed from it; it comes back when it joins again.',
        created_at: iso(device.removed_at),
      },
    ];
  }
  if (device.online) return [];
  return [
    {
      error_code: 'device_offline',
      message: 'The lock is not answering.',
      created_at: iso(device.created_at),
    },
  ];
}
