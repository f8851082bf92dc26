// Home Assistant's MQTT discovery schema, as its documentation describes it (MQTT integration:
// "Discovery" with device-based discovery, and the MQTT lock, sensor, binary sensor and event
// platforms), written down for the keys lockbridge uses: names, types, required keys, allowed
// values. Every object is strict: a misspelt key, which Home Assistant would silently drop, fails.
import * as z from 'zod';

const topic = z
  .string()
  .min(1)
  .refine((t) => !/[+#]/.test(t), 'a publish/subscribe topic without wildcards');
const template = z.string().includes('{{');
const qos = z.union([z.literal(0), z.literal(1), z.literal(2)]);
const entityCategory = z.enum(['config', 'diagnostic']);
const icon = z.string().regex(/^mdi:[a-z0-9-]+$/);

const availabilityEntry = z.strictObject({
  topic,
  payload_available: z.string().optional(),
  payload_not_available: z.string().optional(),
  value_template: template.optional(),
});
const availability = z.array(availabilityEntry).min(1);

/** The `device` map: at least one identifier or connection. */
const device = z
  .strictObject({
    identifiers: z.array(z.string().min(1)).optional(),
    connections: z.array(z.tuple([z.string(), z.string()])).optional(),
    name: z.string().optional(),
    manufacturer: z.string().optional(),
    model: z.string().optional(),
    model_id: z.string().optional(),
    serial_number: z.string().optional(),
    hw_version: z.string().optional(),
    sw_version: z.string().optional(),
    via_device: z.string().optional(),
    suggested_area: z.string().optional(),
    configuration_url: z.string().url().optional(),
  })
  .refine((d) => (d.identifiers?.length ?? 0) > 0 || (d.connections?.length ?? 0) > 0, {
    message: 'a device needs identifiers or connections',
  });

/** `origin`: required in device-based discovery, with a name. */
const origin = z.strictObject({
  name: z.string().min(1),
  sw_version: z.string().optional(),
  support_url: z.string().url().optional(),
});

/** Options every entity platform takes (MQTT_ENTITY_COMMON_SCHEMA and the availability schema). */
const common = {
  unique_id: z.string().min(1),
  name: z.string().nullable().optional(),
  icon: icon.optional(),
  entity_category: entityCategory.optional(),
  enabled_by_default: z.boolean().optional(),
  availability: availability.optional(),
  availability_mode: z.enum(['all', 'any', 'latest']).optional(),
  qos: qos.optional(),
  json_attributes_topic: topic.optional(),
  json_attributes_template: template.optional(),
};

export const lockComponent = z.strictObject({
  platform: z.literal('lock'),
  ...common,
  command_topic: topic, // required: MQTT_RW_SCHEMA
  state_topic: topic.optional(),
  value_template: template.optional(),
  command_template: template.optional(),
  payload_lock: z.string().optional(),
  payload_unlock: z.string().optional(),
  payload_open: z.string().optional(),
  payload_reset: z.string().optional(),
  state_locked: z.string().optional(),
  state_unlocked: z.string().optional(),
  state_locking: z.string().optional(),
  state_unlocking: z.string().optional(),
  state_jammed: z.string().optional(),
  state_open: z.string().optional(),
  state_opening: z.string().optional(),
  optimistic: z.boolean().optional(),
  retain: z.boolean().optional(),
  code_format: z.string().optional(),
});

export const sensorComponent = z.strictObject({
  platform: z.literal('sensor'),
  ...common,
  state_topic: topic, // required: MQTT_RO_SCHEMA
  value_template: template.optional(),
  device_class: z.string().optional(),
  state_class: z.enum(['measurement', 'total', 'total_increasing', 'measurement_angle']).optional(),
  unit_of_measurement: z.string().optional(),
  suggested_display_precision: z.number().int().nonnegative().optional(),
  expire_after: z.number().int().positive().optional(),
  force_update: z.boolean().optional(),
});

export const binarySensorComponent = z.strictObject({
  platform: z.literal('binary_sensor'),
  ...common,
  state_topic: topic,
  value_template: template.optional(),
  device_class: z.string().optional(),
  payload_on: z.string().optional(),
  payload_off: z.string().optional(),
  expire_after: z.number().int().positive().optional(),
  force_update: z.boolean().optional(),
  off_delay: z.number().int().positive().optional(),
});

export const eventComponent = z.strictObject({
  platform: z.literal('event'),
  ...common,
  state_topic: topic,
  event_types: z.array(z.string().min(1)).min(1), // required
  value_template: template.optional(),
  device_class: z.enum(['button', 'doorbell', 'motion']).optional(),
});

const component = z.discriminatedUnion('platform', [
  lockComponent,
  sensorComponent,
  binarySensorComponent,
  eventComponent,
]);

/** The payload at <prefix>/device/<object_id>/config (DEVICE_DISCOVERY_SCHEMA). */
export const deviceDiscovery = z.strictObject({
  device,
  origin,
  components: z
    .record(z.string().regex(/^[a-zA-Z0-9_-]+$/), component)
    .refine((c) => Object.keys(c).length > 0),
  // Shared options, inherited by components that set none of their own.
  availability: availability.optional(),
  availability_mode: z.enum(['all', 'any', 'latest']).optional(),
  state_topic: topic.optional(),
  command_topic: topic.optional(),
  qos: qos.optional(),
  encoding: z.string().optional(),
});

/** The discovery topic: <prefix>/device/<object_id>/config, object_id of [a-zA-Z0-9_-]. */
export const DISCOVERY_TOPIC = /^[^/+#]+(\/[^/+#]+)*\/device\/[a-zA-Z0-9_-]+\/config$/;
