// Home Assistant MQTT discovery payloads (device-based discovery, Home Assistant 2024.11 and later):
// one retained message a device at <prefix>/device/<object_id>/config, with its entities under
// `components`. Full key names, no abbreviations. Pure: the device, the topics and the version in,
// the payload out. What the keys mean is in Home Assistant's MQTT documentation (discovery, lock,
// sensor, binary_sensor, event); test/transports/homeassistant/ checks them against it.

/** The device as the bridge publishes it (the contract's device object), as far as discovery needs it. */
export interface DiscoveredLock {
  device_id: string;
  name: string;
  properties: {
    manufacturer: string | null;
    model: string | null;
    serial_number: string | null;
  };
}

export interface DiscoveryTopics {
  /** `<base_topic>/<gateway_id>`: every topic of the bridge is below it. */
  root: string;
  gatewayId: string;
  version: string;
}

/** Home Assistant's name for the bridge's device and for each lock's. */
export const hubIdentifier = (gatewayId: string) => `lockbridge_${gatewayId}`;
export const lockIdentifier = (deviceId: string) => `lockbridge_${deviceId}`;

/** Where a lock's derived state, its commands and its keypad events go (relative to the root). */
export const lockTopics = (deviceId: string) => ({
  state: `ha/${deviceId}/state`,
  command: `ha/${deviceId}/set`,
  event: `ha/${deviceId}/event`,
});

/** The event entity's types: a code opened the lock, a known code was refused, a wrong PIN. */
export const KEYPAD_EVENT_TYPES = ['code_used', 'code_refused', 'wrong_code'] as const;
export type KeypadEventType = (typeof KEYPAD_EVENT_TYPES)[number];

function origin(version: string) {
  return { name: 'lockbridge', sw_version: version };
}

/** The bridge is available while its retained bridge/state says online (the last will says offline). */
function bridgeAvailability(root: string) {
  return {
    topic: `${root}/bridge/state`,
    value_template: '{{ value_json.state }}',
    payload_available: 'online',
    payload_not_available: 'offline',
  };
}

/** One lock: the lock itself, battery, connectivity, the code counts, and its keypad events. */
export function lockDiscovery(lock: DiscoveredLock, topics: DiscoveryTopics) {
  const { root } = topics;
  const own = lockTopics(lock.device_id);
  const state = `${root}/${own.state}`;
  const uid = (suffix: string) => `${lockIdentifier(lock.device_id)}_${suffix}`;
  const device: Record<string, unknown> = {
    identifiers: [lockIdentifier(lock.device_id)],
    name: lock.name,
    via_device: hubIdentifier(topics.gatewayId),
  };
  if (lock.properties.manufacturer) device.manufacturer = lock.properties.manufacturer;
  if (lock.properties.model) device.model = lock.properties.model;
  if (lock.properties.serial_number) device.serial_number = lock.properties.serial_number;
  const count = (key: string, name: string, icon: string) => ({
    platform: 'sensor',
    unique_id: uid(key),
    name,
    icon,
    state_topic: state,
    value_template: `{{ value_json.${key} }}`,
    state_class: 'measurement',
    entity_category: 'diagnostic',
  });
  return {
    device,
    origin: origin(topics.version),
    // Shared by every component that sets none of its own: the bridge must be online, and the
    // lock must answer (its connectivity sensor overrides this: it shows "off", not "unavailable").
    availability: [
      bridgeAvailability(root),
      {
        topic: state,
        value_template: "{{ 'online' if value_json.connectivity == 'ON' else 'offline' }}",
        payload_available: 'online',
        payload_not_available: 'offline',
      },
    ],
    availability_mode: 'all',
    qos: 1,
    components: {
      lock: {
        platform: 'lock',
        unique_id: uid('lock'),
        name: null, // the entity takes the device's name
        command_topic: `${root}/${own.command}`,
        state_topic: state,
        value_template: '{{ value_json.lock }}',
        payload_lock: 'LOCK',
        payload_unlock: 'UNLOCK',
        state_locked: 'LOCKED',
        state_unlocked: 'UNLOCKED',
        state_locking: 'LOCKING',
        state_unlocking: 'UNLOCKING',
        state_jammed: 'JAMMED',
        optimistic: false,
        retain: false,
      },
      battery: {
        platform: 'sensor',
        unique_id: uid('battery'),
        state_topic: state,
        value_template: '{{ value_json.battery }}',
        device_class: 'battery',
        unit_of_measurement: '%',
        state_class: 'measurement',
        entity_category: 'diagnostic',
      },
      connectivity: {
        platform: 'binary_sensor',
        unique_id: uid('connectivity'),
        state_topic: state,
        value_template: '{{ value_json.connectivity }}',
        device_class: 'connectivity',
        payload_on: 'ON',
        payload_off: 'OFF',
        entity_category: 'diagnostic',
        availability: [bridgeAvailability(root)],
      },
      codes_set: count('codes_set', 'Codes set', 'mdi:dialpad'),
      codes_pending: count('codes_pending', 'Codes pending', 'mdi:timer-sand'),
      codes_failed: count('codes_failed', 'Codes failed', 'mdi:alert-circle-outline'),
      keypad: {
        platform: 'event',
        unique_id: uid('keypad'),
        name: 'Keypad',
        state_topic: `${root}/${own.event}`,
        event_types: [...KEYPAD_EVENT_TYPES],
        icon: 'mdi:dialpad',
      },
    },
  };
}

/** The bridge itself: the device every lock is "via", with its own health from bridge/state and bridge/info. */
export function hubDiscovery(topics: DiscoveryTopics) {
  const { root } = topics;
  const info = `${root}/bridge/info`;
  const uid = (suffix: string) => `${hubIdentifier(topics.gatewayId)}_${suffix}`;
  return {
    device: {
      identifiers: [hubIdentifier(topics.gatewayId)],
      name: `lockbridge ${topics.gatewayId}`,
      manufacturer: 'lockbridge',
      model: 'lock-code bridge',
      sw_version: topics.version,
    },
    origin: origin(topics.version),
    qos: 1,
    components: {
      status: {
        platform: 'binary_sensor',
        unique_id: uid('status'),
        name: 'Status',
        state_topic: `${root}/bridge/state`,
        value_template: "{{ 'ON' if value_json.state == 'online' else 'OFF' }}",
        device_class: 'connectivity',
        payload_on: 'ON',
        payload_off: 'OFF',
      },
      locks_offline: {
        platform: 'sensor',
        unique_id: uid('locks_offline'),
        name: 'Locks offline',
        icon: 'mdi:lock-alert',
        state_topic: info,
        value_template: '{{ value_json.locks.offline }}',
        state_class: 'measurement',
        availability: [bridgeAvailability(root)],
      },
      pending_operations: {
        platform: 'sensor',
        unique_id: uid('pending_operations'),
        name: 'Pending lock operations',
        icon: 'mdi:timer-sand',
        state_topic: info,
        value_template: '{{ value_json.pending.total }}',
        state_class: 'measurement',
        entity_category: 'diagnostic',
        availability: [bridgeAvailability(root)],
      },
    },
  };
}
