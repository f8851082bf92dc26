// The configuration file's schema (docs/configuration.md). Every object is strict: a misspelt key
// is an error, not a setting silently ignored. Each section may be left out and gets its defaults.
import { z } from 'zod';

const MQTT_PROTOCOLS = new Set(['mqtt:', 'mqtts:', 'ws:', 'wss:']);

const nonNegative = z.number().nonnegative();
const positiveInt = z.number().int().positive();
const port = z.number().int().min(1).max(65535);
const path = z.string().min(1, 'must not be empty');

const mqttUrl = z
  .string()
  .min(1, 'must not be empty')
  .superRefine((value, ctx) => {
    if (value === 'embedded') return;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'expected an mqtt://, mqtts://, ws:// or wss:// URL, or "embedded"',
      });
      return;
    }
    if (!MQTT_PROTOCOLS.has(url.protocol) || url.hostname === '') {
      ctx.addIssue({
        code: 'custom',
        message: 'expected an mqtt://, mqtts://, ws:// or wss:// URL, or "embedded"',
      });
    } else if (url.password !== '') {
      // The file may be world-readable and is often copied into tickets; the password lives in its own file.
      ctx.addIssue({ code: 'custom', message: 'no password in the URL: put it in mqtt.password_file' });
    }
  });

const baseTopic = z
  .string()
  .min(1, 'must not be empty')
  .refine((t) => !/[+#\0]/.test(t), 'must not contain the MQTT wildcards + or #')
  .refine((t) => !t.startsWith('/') && !t.endsWith('/') && !t.includes('//'), {
    message: 'must not start or end with "/" or contain an empty level',
  });

const responseTopicPrefix = z
  .string()
  .min(2, 'must not be empty')
  .refine((t) => !/[+#\0]/.test(t), 'must not contain the MQTT wildcards + or #')
  .refine((t) => !t.startsWith('$'), 'must not start with "$" (the broker’s own topics)')
  .refine((t) => t.endsWith('/'), 'must end with "/" (a prefix of whole topic levels)');

export const mqttSchema = z
  .strictObject({
    url: mqttUrl,
    base_topic: baseTopic.default('lockbridge'),
    client_id: z.string().min(1).max(256).optional(),
    username: z.string().min(1).optional(),
    password_file: path.optional(),
    ca_file: path.optional(),
    cert_file: path.optional(),
    key_file: path.optional(),
    include_codes: z.boolean().default(false),
    embedded_port: port.default(1883),
    // Where MQTT 5 Response Topics may point besides <base_topic>/<gateway_id>/clients/.
    response_topic_prefixes: z.array(responseTopicPrefix).default([]),
  })
  .superRefine((mqtt, ctx) => {
    mqtt.response_topic_prefixes.forEach((prefix, index) => {
      if (prefix.startsWith(`${mqtt.base_topic}/`)) {
        ctx.addIssue({
          code: 'custom',
          path: ['response_topic_prefixes', index],
          message: `must not be below base_topic "${mqtt.base_topic}/": the bridges publish their own topics there (answers may always go below <base_topic>/<gateway_id>/clients/)`,
        });
      }
    });
    if (mqtt.cert_file !== undefined && mqtt.key_file === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['key_file'],
        message: 'required with cert_file (mutual TLS needs both)',
      });
    }
    if (mqtt.key_file !== undefined && mqtt.cert_file === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['cert_file'],
        message: 'required with key_file (mutual TLS needs both)',
      });
    }
  });

export const logSchema = z.strictObject({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  pretty: z.boolean().default(false),
});

export const timingSchema = z
  .strictObject({
    delay_warning_after_s: nonNegative.default(60),
    fail_after_s: nonNegative.default(900),
    time_bound_lead_s: nonNegative.default(0),
    require_clock_sync: z.boolean().default(false),
    retry_base_ms: nonNegative.default(1000),
    retry_max_ms: nonNegative.default(60000),
  })
  .superRefine((timing, ctx) => {
    if (timing.fail_after_s <= timing.delay_warning_after_s) {
      ctx.addIssue({
        code: 'custom',
        path: ['fail_after_s'],
        message: `must be greater than delay_warning_after_s (${timing.delay_warning_after_s})`,
      });
    }
    if (timing.retry_max_ms < timing.retry_base_ms) {
      ctx.addIssue({
        code: 'custom',
        path: ['retry_max_ms'],
        message: `must be at least retry_base_ms (${timing.retry_base_ms})`,
      });
    }
  });

export const reconcilerSchema = z.strictObject({
  max_parallel_locks: positiveInt.default(8),
});

export const outboxSchema = z.strictObject({
  max_age_days: nonNegative.default(7),
  max_events: positiveInt.default(100000),
});

const codeLength = z.number().int().min(4).max(12);

const simulatedOptions = z
  .strictObject({
    slots: z.number().int().min(1).max(1000).default(30),
    min_code_length: codeLength.default(4),
    max_code_length: codeLength.default(8),
    latency_ms: nonNegative.default(50),
    can_read_codes: z.boolean().default(true),
    supports_native_scheduling: z.boolean().default(false),
    serial_number: z.string().min(1).max(64).optional(),
  })
  .superRefine((sim, ctx) => {
    if (sim.min_code_length > sim.max_code_length) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_code_length'],
        message: `must be at least min_code_length (${sim.min_code_length})`,
      });
    }
  });

const lockName = z.string().min(1, 'must not be empty').max(128);

const simulatedLock = z.strictObject({
  name: lockName,
  driver: z.literal('simulated'),
  simulated: simulatedOptions.prefault({}),
});

const serialLock = z.strictObject({
  name: lockName,
  driver: z.literal('serial'),
  serial: z.strictObject({
    path,
    baud_rate: positiveInt.default(115200),
    response_timeout_ms: positiveInt.default(300),
  }),
});

const locks = z
  .array(z.discriminatedUnion('driver', [simulatedLock, serialLock]))
  .default([])
  .superRefine((list, ctx) => {
    // Names identify locks to people and, for simulated locks, derive their serial numbers.
    const firstIndex = new Map<string, number>();
    list.forEach((lock, index) => {
      const first = firstIndex.get(lock.name);
      if (first === undefined) firstIndex.set(lock.name, index);
      else {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `duplicate lock name "${lock.name}" (also locks.${first}.name)`,
        });
      }
    });
  });

const ieeeAddress = z
  .string()
  .regex(/^0x[0-9a-fA-F]{16}$/, 'expected an IEEE address like 0x00124b0012345678');

export const zigbeeSchema = z.strictObject({
  adapter: z.enum(['zstack', 'ember', 'deconz', 'zigate', 'zboss']),
  port: path,
  channel: z.number().int().min(11).max(26).default(15),
  network_key_file: path.optional(),
  names: z.record(ieeeAddress, lockName).default({}),
});

export const configSchema = z.strictObject({
  gateway_id: z
    .string()
    .regex(
      /^[a-z0-9_-]{1,64}$/,
      'expected 1 to 64 characters from a-z, 0-9, "_" and "-" (it is part of every topic)',
    ),
  data_dir: path,
  mqtt: mqttSchema,
  log: logSchema.prefault({}),
  timing: timingSchema.prefault({}),
  reconciler: reconcilerSchema.prefault({}),
  outbox: outboxSchema.prefault({}),
  locks,
  zigbee: zigbeeSchema.optional(),
});

/** The configuration with every default applied. */
export type Config = z.output<typeof configSchema>;
export type LockConfig = Config['locks'][number];
export type SimulatedLockConfig = Extract<LockConfig, { driver: 'simulated' }>;
export type SerialLockConfig = Extract<LockConfig, { driver: 'serial' }>;
export type ZigbeeConfig = NonNullable<Config['zigbee']>;
