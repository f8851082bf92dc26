// The configuration file's schema (docs/configuration.md). Every object is strict: a misspelt key
// is an error, not a setting silently ignored. Each section may be left out and gets its defaults.
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { isLoopback, parseListen } from './listen.ts';

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

/**
 * The broker's host when PINs sent to it would cross a network unencrypted (mqtt:// or ws:// to a
 * host other than this machine), else null. A URL the url check refuses is its problem, not ours.
 */
function plaintextRemoteHost(value: string): string | null {
  if (value === 'embedded') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'mqtt:' && url.protocol !== 'ws:') return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  return loopback ? null : host;
}

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
    /** Lets include_codes send PINs unencrypted to a broker on another machine (refused otherwise). */
    allow_plaintext_codes: z.boolean().default(false),
    embedded_port: port.default(1883),
    // Where MQTT 5 Response Topics may point besides <base_topic>/<gateway_id>/clients/.
    response_topic_prefixes: z.array(responseTopicPrefix).default([]),
  })
  .superRefine((mqtt, ctx) => {
    const exposed = plaintextRemoteHost(mqtt.url);
    if (mqtt.include_codes && exposed !== null && !mqtt.allow_plaintext_codes) {
      ctx.addIssue({
        code: 'custom',
        path: ['include_codes'],
        message: `would send PINs unencrypted over the network to ${exposed}: use an mqtts:// or wss:// url, or set mqtt.allow_plaintext_codes: true to accept that`,
      });
    }
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

const discoveryPrefix = baseTopic;

export const homeassistantSchema = z.strictObject({
  /** MQTT discovery: one Home Assistant device per lock, through the MQTT transport. */
  enabled: z.boolean().default(true),
  discovery_prefix: discoveryPrefix.default('homeassistant'),
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

/** Answered request ids, remembered so that a redelivered request is not run twice. */
export const requestsSchema = z.strictObject({
  memory_hours: z.number().positive().default(24),
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
    /** The slots survive a restart of the daemon (kept in <data_dir>/simulated-locks/), as a real lock's do. */
    keep_slots: z.boolean().default(false),
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

/** A refinement of a list: no two entries with the same `key`; `describe` words the repeat. */
function unique<T>(
  key: (entry: T) => string,
  field: string,
  describe: (value: string, first: number) => string,
) {
  return (list: T[], ctx: z.RefinementCtx) => {
    const firstIndex = new Map<string, number>();
    list.forEach((entry, index) => {
      const value = key(entry);
      const first = firstIndex.get(value);
      if (first === undefined) firstIndex.set(value, index);
      else ctx.addIssue({ code: 'custom', path: [index, field], message: describe(value, first) });
    });
  };
}

const locks = z
  .array(z.discriminatedUnion('driver', [simulatedLock, serialLock]))
  .default([])
  // Names identify locks to people and, for simulated locks, derive their serial numbers.
  .superRefine(
    unique(
      (lock) => lock.name,
      'name',
      (name, first) => `duplicate lock name "${name}" (also locks.${first}.name)`,
    ),
  );

const ieeeAddress = z
  .string()
  .regex(/^0x[0-9a-fA-F]{16}$/, 'expected an IEEE address like 0x00124b0012345678');

/** What a Zigbee lock model does differently (drivers/zigbee/quirks.ts), set for one device. */
const zigbeeDeviceQuirks = z.strictObject({
  user_id_base: z.union([z.literal(0), z.literal(1)]).optional(),
  endpoint: z.number().int().min(1).max(240).optional(),
  read_back: z.boolean().optional(),
  masked_pins: z.boolean().optional(),
  programming_event_pin: z.boolean().optional(),
  battery_units: z.enum(['half_percent', 'percent']).optional(),
  poll_interval_ms: z.number().int().min(0).max(600_000).optional(),
  slot_count: z.number().int().min(1).max(65535).optional(),
});

export const zigbeeSchema = z.strictObject({
  adapter: z.enum(['zstack', 'ember', 'deconz', 'zigate', 'zboss']),
  port: path,
  channel: z.number().int().min(11).max(26).default(15),
  network_key_file: path.optional(),
  names: z.record(ieeeAddress, lockName).default({}),
  pan_id: z.number().int().min(1).max(0xfffe).optional(),
  extended_pan_id: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{16}$/, 'expected 16 hexadecimal digits, like 0xdddddddddddddddd')
    .optional(),
  baud_rate: positiveInt.optional(),
  rtscts: z.boolean().optional(),
  adapter_concurrency: z.number().int().min(1).max(64).optional(),
  response_timeout_ms: positiveInt.default(10000),
  read_chunk: z.number().int().min(1).max(50).default(5),
  on_adapter_loss: z.enum(['restart', 'exit']).optional(),
  devices: z.record(ieeeAddress, zigbeeDeviceQuirks).default({}),
});

const tlsFiles = z.strictObject({ cert_file: path, key_file: path });

const listen = z
  .string()
  .refine((value) => parseListen(value) !== null, 'expected HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080');

/** Seam's HTTP API, the web console and the event stream; absent: no HTTP server at all. */
export const httpSchema = z
  .strictObject({
    listen: listen.default('127.0.0.1:8080'),
    auth: z.boolean().default(true),
    tls: tlsFiles.optional(),
    console: z.boolean().default(true),
    max_body_bytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
    rate_limit_per_minute: positiveInt.default(600),
    rate_limit_burst: positiveInt.default(60),
    request_timeout_s: z.number().positive().max(3600).default(30),
    max_streams: positiveInt.default(16),
    stream_keepalive_s: z.number().positive().max(300).default(15),
  })
  .superRefine((http, ctx) => {
    const address = parseListen(http.listen);
    if (!http.auth && address !== null && !isLoopback(address.host)) {
      // Anyone who can reach the port could unlock the doors.
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: `may be false only when listening on a loopback address, not on ${address.host}`,
      });
    }
  });

const webhookUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL');

/** A webhook endpoint's id names its delivery cursor: given, or derived from its URL. */
export const webhookIdOf = (url: string): string =>
  createHash('sha256').update(url).digest('hex').slice(0, 12);

const webhookEndpoint = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9_-]{1,64}$/, 'expected 1 to 64 characters from a-z, 0-9, "_" and "-"')
      .optional(),
    url: webhookUrl,
    secret_file: path,
    event_types: z
      .array(z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/, 'expected an event type such as lock.unlocked'))
      .min(1)
      .optional(),
    timeout_s: z.number().positive().max(300).default(10),
    retry_base_ms: positiveInt.default(1000),
    retry_max_ms: positiveInt.default(300_000),
  })
  .transform((endpoint) => ({ ...endpoint, id: endpoint.id ?? webhookIdOf(endpoint.url) }));

const webhooks = z.array(webhookEndpoint).superRefine(
  unique(
    (endpoint) => endpoint.id,
    'id',
    (id, first) => `duplicate webhook id "${id}" (also webhooks.${first}): give each endpoint its own id`,
  ),
);

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
  requests: requestsSchema.prefault({}),
  locks,
  zigbee: zigbeeSchema.optional(),
  http: httpSchema.optional(),
  webhooks: webhooks.optional(),
  homeassistant: homeassistantSchema.prefault({}),
});

/** The configuration with every default applied. */
export type Config = z.output<typeof configSchema>;
export type LockConfig = Config['locks'][number];
export type SimulatedLockConfig = Extract<LockConfig, { driver: 'simulated' }>;
export type SerialLockConfig = Extract<LockConfig, { driver: 'serial' }>;
export type ZigbeeConfig = NonNullable<Config['zigbee']>;
export type HttpConfig = NonNullable<Config['http']>;
export type WebhookConfig = NonNullable<Config['webhooks']>[number];
