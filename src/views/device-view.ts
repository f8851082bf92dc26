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
    },
    errors: device.online
      ? []
      : [
          {
            error_code: 'device_offline',
            message: 'The lock is not answering.',
            created_at: iso(device.created_at),
          },
        ],
    warnings: [],
    created_at: iso(device.created_at),
  };
}
