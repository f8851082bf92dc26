// The one door to zigbee-herdsman (pinned at 10.9.5): what the driver uses of it, the Controller's
// options in this version's shape, and herdsman's log routed into ours with payloads scrubbed.
// herdsman 11 renames the option `serialPort` to `transport`; only controllerOptions() knows.
import type { Logger } from 'pino';
import type { Models } from 'zigbee-herdsman';
import { Controller, setLogger, Zcl } from 'zigbee-herdsman';
import { Device } from 'zigbee-herdsman/dist/controller/model/device.js';
import { Group } from 'zigbee-herdsman/dist/controller/model/group.js';

export { Controller, Zcl };
export type HerdsmanDevice = Models.Device;
export type HerdsmanEndpoint = Models.Endpoint;
export type { AdapterTypes, Events as ControllerEvents } from 'zigbee-herdsman';

/** The adapters this bridge supports (herdsman's ezsp and zoh are left out on purpose). */
export type CoordinatorAdapter = 'zstack' | 'ember' | 'deconz' | 'zigate' | 'zboss';

export interface NetworkSettings {
  adapter: CoordinatorAdapter;
  port: string;
  baud_rate: number | null;
  rtscts: boolean | null;
  adapter_concurrency: number | null;
  channel: number;
  pan_id: number;
  extended_pan_id: number[];
  network_key: number[];
  /** herdsman's files: database, its backup, the coordinator backup. */
  database_path: string;
  database_backup_path: string;
  coordinator_backup_path: string;
}

export type ControllerOptions = ConstructorParameters<typeof Controller>[0];

export function controllerOptions(settings: NetworkSettings): ControllerOptions {
  return {
    network: {
      panID: settings.pan_id,
      extendedPanID: settings.extended_pan_id,
      channelList: [settings.channel],
      networkKey: settings.network_key,
    },
    // 10.x: serialPort. 11.x calls this `transport`.
    serialPort: {
      path: settings.port,
      adapter: settings.adapter,
      ...(settings.baud_rate !== null ? { baudRate: settings.baud_rate } : {}),
      ...(settings.rtscts !== null ? { rtscts: settings.rtscts } : {}),
    },
    databasePath: settings.database_path,
    databaseBackupPath: settings.database_backup_path,
    backupPath: settings.coordinator_backup_path,
    adapter: {
      disableLED: false,
      ...(settings.adapter_concurrency !== null ? { concurrent: settings.adapter_concurrency } : {}),
    },
    // Every device may join: whether it is a lock is decided after its interview.
    acceptJoiningDeviceHandler: async () => true,
  };
}

/**
 * herdsman logs whole ZCL payloads (a setPinCode's PIN as a Buffer's bytes) at debug and puts them
 * in error messages. Buffers and PIN fields are cut out before anything reaches our log.
 */
export function scrubHerdsman(text: string): string {
  return text
    .replace(/\{"type":"Buffer","data":\[[^\]]*\]\}/g, '"[bytes]"')
    .replace(/"(pincodevalue|pin|code)":\s*("[^"]*"|\[[^\]]*\]|\d+)/gi, '"$1":"[redacted]"')
    .replace(/<Buffer[^>]*>/g, '<bytes>');
}

/** herdsman's logger is one per process: the last driver started owns it. */
export function routeHerdsmanLog(log: Logger): void {
  const text = (message: string | (() => string)) =>
    scrubHerdsman(typeof message === 'function' ? message() : message);
  setLogger({
    // Its debug is a frame-by-frame trace: ours at trace, and only computed when trace is on.
    debug: (message, namespace) => {
      if (log.isLevelEnabled('trace')) log.trace({ herdsman: namespace }, text(message));
    },
    info: (message, namespace) => log.debug({ herdsman: namespace }, text(message)),
    warning: (message, namespace) => log.warn({ herdsman: namespace }, text(message)),
    error: (message, namespace) => log.warn({ herdsman: namespace }, text(message)),
  });
}

/** The reason in one of herdsman's error messages, without the payload it likes to include. */
export function herdsmanReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // "ZCL command 0x…/1 closuresDoorLock.setPinCode({…}, {…}) failed (Timeout - …)"
  const failed = message.lastIndexOf(' failed (');
  const reason = failed >= 0 ? message.slice(failed + ' failed ('.length).replace(/\)$/, '') : message;
  return scrubHerdsman(reason).slice(0, 300);
}

/**
 * herdsman keeps its devices in process-wide caches that Controller.stop() empties; a Controller
 * whose start failed half-way never gets that far, and the next one must not find its leftovers.
 */
export function resetHerdsmanCaches(): void {
  Device.resetCache();
  Group.resetCache();
}
