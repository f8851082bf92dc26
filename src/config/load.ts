// Reads the configuration file, applies the environment overrides, validates, and resolves
// relative paths; also the check-config command and the MQTT password file.
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { LineCounter, parseDocument } from 'yaml';
import { applyEnvOverrides, type EnvOverrides } from './env.ts';
import { ConfigError, configErrorMap, problemsFromIssues } from './problems.ts';
import { type Config, configSchema } from './schema.ts';

export { ConfigError } from './problems.ts';

/** The --config flag, else LOCKBRIDGE_CONFIG. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag !== undefined && flag !== '') return flag;
  return env.LOCKBRIDGE_CONFIG || undefined;
}

/** The validated configuration, defaults applied and paths absolute; throws ConfigError. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv): Config {
  return loadWithOverrides(path, env).config;
}

function loadWithOverrides(
  path: string,
  env: NodeJS.ProcessEnv,
): { config: Config; overrides: EnvOverrides } {
  const raw = readYamlMapping(path);
  const overrides = applyEnvOverrides(raw, env);
  const result = configSchema.safeParse(raw, { error: configErrorMap, reportInput: true });
  if (!result.success) throw new ConfigError(problemsFromIssues(result.error.issues, overrides.applied));
  return { config: resolvePaths(result.data, dirname(resolve(path))), overrides };
}

function readYamlMapping(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${path}: cannot read the configuration file (${reason(error)})`]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0]);
        return `${path}: line ${at.line}, column ${at.col}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS() ?? {}; // an empty file: every required key is then reported missing
  } catch (error) {
    throw new ConfigError([`${path}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError([`${path}: expected a mapping of keys (gateway_id, data_dir, mqtt, ...)`]);
  }
  return value as Record<string, unknown>;
}

/** Relative paths are relative to the file, not to wherever the daemon happened to be started. */
function resolvePaths(config: Config, base: string): Config {
  const abs = <T extends string | undefined>(p: T): T =>
    (p === undefined || isAbsolute(p) ? p : resolve(base, p)) as T;
  const mqtt = {
    ...config.mqtt,
    password_file: abs(config.mqtt.password_file),
    ca_file: abs(config.mqtt.ca_file),
    cert_file: abs(config.mqtt.cert_file),
    key_file: abs(config.mqtt.key_file),
  };
  for (const key of ['password_file', 'ca_file', 'cert_file', 'key_file'] as const) {
    if (mqtt[key] === undefined) delete mqtt[key]; // keep "not set" as an absent key, as parsed
  }
  const resolved: Config = { ...config, data_dir: abs(config.data_dir), mqtt };
  if (config.zigbee?.network_key_file !== undefined) {
    resolved.zigbee = { ...config.zigbee, network_key_file: abs(config.zigbee.network_key_file) };
  }
  if (config.http?.tls !== undefined) {
    const { cert_file, key_file } = config.http.tls;
    resolved.http = { ...config.http, tls: { cert_file: abs(cert_file), key_file: abs(key_file) } };
  }
  if (config.webhooks !== undefined) {
    resolved.webhooks = config.webhooks.map((w) => ({ ...w, secret_file: abs(w.secret_file) }));
  }
  return resolved;
}

/**
 * A webhook endpoint's signing secret from its secret_file: `whsec_` and base64, as Seam and Svix
 * make them. The secret itself never appears in a message.
 */
export function readWebhookSecret(file: string, keyPath: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`${keyPath}: cannot read ${file} (${reason(error)})`]);
  }
  const secret = text.trim();
  const body = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || Buffer.from(body, 'base64').length < 16) {
    throw new ConfigError([
      `${keyPath}: ${file} does not hold a webhook secret (expected whsec_ and at least 16 bytes in base64)`,
    ]);
  }
  return secret;
}

/** The MQTT password from mqtt.password_file, without the trailing newline editors add. */
export function readMqttPassword(config: Config): string | undefined {
  const file = config.mqtt.password_file;
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`mqtt.password_file: cannot read ${file} (${reason(error)})`]);
  }
  const password = text.replace(/[\r\n]+$/, '');
  if (password === '') throw new ConfigError([`mqtt.password_file: ${file} is empty`]);
  return password;
}

export interface MqttTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * The CA, client certificate and key the configuration names, read and checked. One TLS cannot use
 * is a ConfigError: no reconnect would mend it, so the bridge refuses to start and says which file.
 */
export function readMqttTls(config: Config): MqttTls {
  const tls: MqttTls = {};
  for (const [key, field] of [
    ['ca_file', 'ca'],
    ['cert_file', 'cert'],
    ['key_file', 'key'],
  ] as const) {
    const file = config.mqtt[key];
    if (file === undefined) continue;
    try {
      tls[field] = readFileSync(file);
    } catch (error) {
      throw new ConfigError([`mqtt.${key}: cannot read ${file} (${reason(error)})`]);
    }
  }
  if (tls.ca === undefined && tls.cert === undefined) return tls;
  try {
    createSecureContext(tls);
  } catch (error) {
    const files = tls.cert ? 'mqtt.cert_file, mqtt.key_file' : 'mqtt.ca_file';
    throw new ConfigError([
      `${files}: not usable for TLS (${error instanceof Error ? error.message : String(error)})`,
    ]);
  }
  return tls;
}

/** Problems with the files the configuration names (only checked by check-config). */
function fileProblems(config: Config): string[] {
  const problems: string[] = [];
  try {
    readMqttPassword(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const files: Array<[string, string | undefined]> = [
    ...(['ca_file', 'cert_file', 'key_file'] as const).map((key): [string, string | undefined] => [
      `mqtt.${key}`,
      config.mqtt[key],
    ]),
    ['http.tls.cert_file', config.http?.tls?.cert_file],
    ['http.tls.key_file', config.http?.tls?.key_file],
  ];
  let readable = true;
  for (const [keyPath, file] of files) {
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (error) {
      readable = false;
      problems.push(`${keyPath}: cannot read ${file} (${reason(error)})`);
    }
  }
  for (const [index, webhook] of (config.webhooks ?? []).entries()) {
    try {
      readWebhookSecret(webhook.secret_file, `webhooks.${index}.secret_file`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (readable) {
    try {
      readMqttTls(config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  return problems;
}

/** lockbridge check-config: 0 and a summary, 1 and every problem, 2 without a file. */
export function checkConfigCommand(
  path: string | undefined,
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): number {
  if (path === undefined) {
    print('no configuration file given: use --config FILE or set LOCKBRIDGE_CONFIG');
    return 2;
  }
  let loaded: { config: Config; overrides: EnvOverrides };
  try {
    loaded = loadWithOverrides(path, env);
    const problems = fileProblems(loaded.config);
    if (problems.length > 0) throw new ConfigError(problems);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    print(`${path}: not valid (${error.problems.length} problem${error.problems.length === 1 ? '' : 's'})`);
    for (const problem of error.problems) print(`  ${problem}`);
    return 1;
  }
  for (const line of summary(path, loaded.config, loaded.overrides)) print(line);
  return 0;
}

/** What the daemon would run with; never a password (the URL cannot hold one, see the schema). */
function summary(path: string, config: Config, overrides: EnvOverrides): string[] {
  const byDriver = new Map<string, number>();
  for (const lock of config.locks) byDriver.set(lock.driver, (byDriver.get(lock.driver) ?? 0) + 1);
  const locks = [...byDriver].map(([driver, n]) => `${n} ${driver}`).join(', ') || 'none configured';
  const broker =
    config.mqtt.url === 'embedded'
      ? `embedded (in-process, port ${config.mqtt.embedded_port})`
      : config.mqtt.url;
  const lines = [
    `${path}: ok`,
    `  gateway: ${config.gateway_id} (store in ${config.data_dir})`,
    `  broker: ${broker}, topics under ${config.mqtt.base_topic}/${config.gateway_id}`,
    `  locks: ${locks}`,
  ];
  if (config.zigbee) {
    lines.push(
      `  zigbee: ${config.zigbee.adapter} on ${config.zigbee.port}, channel ${config.zigbee.channel}`,
    );
  }
  if (config.http) {
    const scheme = config.http.tls ? 'https' : 'http';
    const auth = config.http.auth ? 'API keys required' : 'no API keys (loopback only)';
    lines.push(`  http: ${scheme}://${config.http.listen} (${auth})`);
  }
  if (config.webhooks && config.webhooks.length > 0) {
    lines.push(`  webhooks: ${config.webhooks.map((w) => w.id).join(', ')}`);
  }
  if (overrides.applied.size > 0)
    lines.push(`  from the environment: ${[...overrides.applied.values()].join(', ')}`);
  if (overrides.ignored.length > 0)
    lines.push(`  ignored (no such setting): ${overrides.ignored.join(', ')}`);
  return lines;
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return code ?? (error instanceof Error ? error.message : String(error));
}
