// The Zigbee network's secrets and identity, made once and kept: the network key in its own file
// (generated on first start, 0600, never logged), the PAN ID and extended PAN ID (configured, or
// derived from the key so they stay the same as long as the key does), and where herdsman keeps its
// database and backups (under data_dir).
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { CoordinatorAdapter, NetworkSettings } from './herdsman.ts';

export interface NetworkConfig {
  adapter: CoordinatorAdapter;
  port: string;
  channel: number;
  pan_id: number | null;
  /** 16 hex digits, or null to derive it. */
  extended_pan_id: string | null;
  network_key_file: string;
  baud_rate: number | null;
  rtscts: boolean | null;
  adapter_concurrency: number | null;
  /** herdsman's database and backups go here. */
  state_dir: string;
}

const KEY_PATTERN = /^(?:0x)?([0-9a-fA-F]{32})$/;

/** The network key file's 16 bytes, written (0600, in a 0700 directory) the first time. */
export function networkKey(path: string, log: Logger): number[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`cannot read the Zigbee network key file ${path}: ${(error as Error).message}`);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    text = randomBytes(16).toString('hex');
    // 'wx': never overwrite a key another process wrote meanwhile.
    writeFileSync(path, `${text}\n`, { mode: 0o600, flag: 'wx' });
    log.info({ file: path }, 'generated a new Zigbee network key');
  }
  const match = KEY_PATTERN.exec(text.trim());
  if (!match) throw new Error(`the Zigbee network key file ${path} must hold 32 hexadecimal digits`);
  if ((statSync(path).mode & 0o077) !== 0) {
    chmodSync(path, 0o600);
    log.warn({ file: path }, 'the Zigbee network key file was readable by others; made it 0600');
  }
  return [...Buffer.from(match[1]!, 'hex')];
}

/** A PAN ID and extended PAN ID of the key's own, so two gateways with their own keys differ. */
export function derivedIds(key: number[]): { pan_id: number; extended_pan_id: number[] } {
  const digest = createHash('sha256').update('lockbridge zigbee network').update(Buffer.from(key)).digest();
  // 0x0000 and 0xFFFF are not PAN IDs.
  const pan_id = 1 + (digest.readUInt16BE(0) % 0xfffe);
  return { pan_id, extended_pan_id: [...digest.subarray(2, 10)] };
}

export function networkSettings(config: NetworkConfig, log: Logger): NetworkSettings {
  mkdirSync(config.state_dir, { recursive: true, mode: 0o700 });
  const network_key = networkKey(config.network_key_file, log);
  const derived = derivedIds(network_key);
  return {
    adapter: config.adapter,
    port: config.port,
    baud_rate: config.baud_rate,
    rtscts: config.rtscts,
    adapter_concurrency: config.adapter_concurrency,
    channel: config.channel,
    pan_id: config.pan_id ?? derived.pan_id,
    extended_pan_id:
      config.extended_pan_id === null
        ? derived.extended_pan_id
        : [...Buffer.from(config.extended_pan_id.replace(/^0x/, ''), 'hex')],
    network_key,
    database_path: join(config.state_dir, 'database.db'),
    database_backup_path: join(config.state_dir, 'database.db.backup'),
    coordinator_backup_path: join(config.state_dir, 'coordinator_backup.json'),
  };
}
