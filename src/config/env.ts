// Environment overrides: LOCKBRIDGE_<KEY> for a top-level key, LOCKBRIDGE_<SECTION>_<KEY> for a
// scalar key of a section (LOCKBRIDGE_MQTT_URL, LOCKBRIDGE_LOG_LEVEL, LOCKBRIDGE_TIMING_FAIL_AFTER_S).
// The list of keys comes from the schema itself, so a new setting gets its variable for free.
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import {
  homeassistantSchema,
  httpSchema,
  logSchema,
  mqttSchema,
  outboxSchema,
  reconcilerSchema,
  requestsSchema,
  timingSchema,
} from './schema.ts';

const PREFIX = 'LOCKBRIDGE_';
/** Not a setting: the path of the file itself (resolveConfigPath). */
const CONFIG_PATH_VARIABLE = 'LOCKBRIDGE_CONFIG';

type Kind = 'string' | 'number' | 'boolean' | 'mapping' | 'list';

interface Overridable {
  section: string | null;
  key: string;
  kind: Kind;
}

const SECTIONS: Record<string, z.ZodObject> = {
  mqtt: mqttSchema,
  log: logSchema,
  timing: timingSchema,
  reconciler: reconcilerSchema,
  outbox: outboxSchema,
  requests: requestsSchema,
  http: httpSchema,
  homeassistant: homeassistantSchema,
};

/** The schema type under optional() / default() wrappers. */
function unwrapped(schema: z.ZodType): z.ZodType {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
  return inner;
}

function kindOf(schema: z.ZodType): Kind {
  const inner = unwrapped(schema);
  if (inner instanceof z.ZodNumber) return 'number';
  if (inner instanceof z.ZodBoolean) return 'boolean';
  if (inner instanceof z.ZodObject) return 'mapping';
  if (inner instanceof z.ZodArray) return 'list';
  return 'string';
}

/** Variable name → the key it sets. */
const OVERRIDABLE: ReadonlyMap<string, Overridable> = new Map([
  [`${PREFIX}GATEWAY_ID`, { section: null, key: 'gateway_id', kind: 'string' }],
  [`${PREFIX}DATA_DIR`, { section: null, key: 'data_dir', kind: 'string' }],
  ...Object.entries(SECTIONS).flatMap(([section, schema]) =>
    Object.entries(schema.shape)
      .map(([key, field]): [string, Overridable] => [
        `${PREFIX}${section}_${key}`.toUpperCase(),
        { section, key, kind: kindOf(field as z.ZodType) },
      ])
      // Only scalar keys: a mapping (http.tls) or a list (mqtt.response_topic_prefixes) is set in
      // the file.
      .filter(([, target]) => target.kind !== 'mapping' && target.kind !== 'list'),
  ),
]);

export interface EnvOverrides {
  /** Key path ("mqtt.url") → the variable that set it, so a problem with the value can name it. */
  applied: Map<string, string>;
  /** LOCKBRIDGE_ variables that name no setting (check-config mentions them). */
  ignored: string[];
}

/** Writes the overrides into the parsed file (in place). An empty variable counts as unset. */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): EnvOverrides {
  const applied = new Map<string, string>();
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(PREFIX) || name === CONFIG_PATH_VARIABLE || value === undefined || value === '')
      continue;
    const target = OVERRIDABLE.get(name);
    if (target === undefined) {
      ignored.push(name);
      continue;
    }
    const holder = target.section === null ? raw : sectionOf(raw, target.section);
    // A section that is not a mapping is the file's problem; the schema reports it.
    if (holder === undefined) continue;
    holder[target.key] = fromText(value, target.kind);
    applied.set(target.section === null ? target.key : `${target.section}.${target.key}`, name);
  }
  return { applied, ignored: ignored.sort() };
}

function sectionOf(raw: Record<string, unknown>, section: string): Record<string, unknown> | undefined {
  const existing = raw[section];
  if (existing === undefined || existing === null) {
    const created: Record<string, unknown> = {};
    raw[section] = created;
    return created;
  }
  if (typeof existing === 'object' && !Array.isArray(existing)) return existing as Record<string, unknown>;
  return undefined;
}

/**
 * Numbers and booleans are read as YAML scalars (60, 1e3, true), as they would be in the file.
 * Text settings keep the text as it is: an id like 0123 must not become the number 123.
 */
function fromText(value: string, kind: Kind): unknown {
  if (kind === 'string') return value;
  try {
    const parsed: unknown = parseYaml(value);
    return typeof parsed === 'number' || typeof parsed === 'boolean' ? parsed : value;
  } catch {
    return value; // the schema refuses it and names the variable
  }
}
