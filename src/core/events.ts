// Event types of the MQTT contract and the draft the core hands to the store.

export const EVENT_TYPES = [
  'access_code.created',
  'access_code.changed',
  'access_code.set_on_device',
  'access_code.scheduled_on_device',
  'access_code.delay_in_setting_on_device',
  'access_code.failed_to_set_on_device',
  'access_code.deleted',
  'access_code.removed_from_device',
  'access_code.delay_in_removing_from_device',
  'access_code.failed_to_remove_from_device',
  'access_code.modified_externally',
  'access_code.deleted_externally',
  'access_code.unmanaged.created',
  'access_code.unmanaged.removed',
  'access_code.unmanaged.converted_to_managed',
  'access_code.unmanaged.failed_to_convert_to_managed',
  'lock.locked',
  'lock.unlocked',
  'lock.access_denied',
  'device.connected',
  'device.disconnected',
  'device.added',
  'device.removed',
  'device.battery_status_changed',
  'device.low_battery',
  'action_attempt.delete_access_code.succeeded',
  'action_attempt.delete_access_code.failed',
  'action_attempt.lock_door.succeeded',
  'action_attempt.lock_door.failed',
  'action_attempt.unlock_door.succeeded',
  'action_attempt.unlock_door.failed',
  'action_attempt.convert_access_code_to_managed.succeeded',
  'action_attempt.convert_access_code_to_managed.failed',
  'action_attempt.delete_unmanaged_access_code.succeeded',
  'action_attempt.delete_unmanaged_access_code.failed',
  'action_attempt.remove_device.succeeded',
  'action_attempt.remove_device.failed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** An event as the core decides it; the store gives it an id and times and queues it for publishing. */
export interface EventDraft {
  event_type: EventType;
  device_id: string;
  access_code_id?: string;
  action_attempt_id?: string;
  /** Extra fields of the event object (method, error_code, battery_level ...). Never a PIN. */
  fields?: Record<string, unknown>;
}
