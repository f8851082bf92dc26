// One lock's way to the air: one exchange at a time (the reconciler sends one command per lock, and
// the driver's own reads and probes wait their turn), each a ZCL frame through herdsman's
// Controller.sendRaw and the answer it resolves with, checked before it is believed. herdsman 10.9
// matches answers by cluster and sequence number (deconz: nothing else), so an answer may be a
// Default Response, another command's response, or another lock's notification that happens to carry
// the same sequence number: only the lock's own response to this command, for this user, counts.
import type { Logger } from 'pino';
import type { ZclPayload } from 'zigbee-herdsman/dist/adapter/events.js';
import {
  type Controller,
  type HerdsmanDevice,
  type HerdsmanEndpoint,
  herdsmanReason,
  Zcl,
} from './herdsman.ts';
import { commandIds, decodeDoorLockFrame } from './zcl-decode.ts';

export interface RadioTarget {
  controller: Controller;
  device: HerdsmanDevice;
  endpoint: HerdsmanEndpoint;
}

export type CommandAnswer =
  | { kind: 'answer'; payload: Record<string, unknown> }
  /** The lock answered this command with a Default Response carrying an error status. */
  | { kind: 'refused'; status: number }
  /** No answer, or none that fits: it may or may not have been carried out. */
  | { kind: 'none'; reason: string };

/** herdsman checks its timeouts about once a second (deconz): our own guard waits a little longer. */
const GUARD_MS = 1500;

export class LockRadio {
  target: RadioTarget | null = null;
  /** The wait for an answer: the configured response timeout plus the lock's poll interval. */
  timeoutMs = 10_000;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly log: Logger) {}

  /** Runs `work` once no other exchange with this lock is under way. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** One Door Lock command and the lock's answer to it (the caller holds the turn). */
  async command(name: string, payload: Record<string, unknown>, userid?: number): Promise<CommandAnswer> {
    const target = this.target;
    if (!target) return { kind: 'none', reason: 'the coordinator is not running' };
    const ids = commandIds(name);
    let raw: ZclPayload | undefined;
    try {
      raw = await this.send(target, 'closuresDoorLock', {
        frameType: Zcl.FrameType.SPECIFIC,
        commandKey: name,
        payload,
        // A command with its own response needs no Default Response on success.
        disableDefaultResponse: ids.response !== undefined,
      });
    } catch (error) {
      return { kind: 'none', reason: herdsmanReason(error) };
    }
    if (!raw) return { kind: 'none', reason: 'no answer' };
    if (!this.fromTheLock(target, raw)) return { kind: 'none', reason: 'an answer from another device' };
    const frame = decodeDoorLockFrame(raw.data);
    if (!frame?.fromLock) return { kind: 'none', reason: 'an answer that could not be read' };
    if (frame.global) {
      const cmdId = frame.payload.cmdId;
      const status = frame.payload.statusCode as number;
      if (frame.name === 'defaultRsp' && cmdId === ids.id && status !== Zcl.Status.SUCCESS)
        return { kind: 'refused', status };
      return { kind: 'none', reason: `a ${frame.name} instead of the ${name} response` };
    }
    const expected = Object.values(Zcl.Clusters.closuresDoorLock.commandsResponse).find(
      (c) => c.ID === ids.response,
    );
    if (frame.name !== expected?.name)
      return { kind: 'none', reason: `a ${frame.name} instead of the ${name} response` };
    if (userid !== undefined && frame.payload.userid !== userid)
      return { kind: 'none', reason: `an answer about another user (${String(frame.payload.userid)})` };
    return { kind: 'answer', payload: frame.payload };
  }

  /**
   * Attributes of one cluster in one read, each that the lock has (one it lacks is left out,
   * where herdsman's endpoint.read would throw for all); null when nothing fitting came back.
   */
  async readAttributes(
    cluster: string,
    attributes: readonly string[],
  ): Promise<Record<string, unknown> | null> {
    const target = this.target;
    if (!target) return null;
    const definition = Zcl.Utils.getCluster(cluster, undefined, {});
    const ids = attributes.map((name) => definition.attributes[name]!.ID);
    let raw: ZclPayload | undefined;
    try {
      raw = await this.send(target, cluster, {
        frameType: Zcl.FrameType.GLOBAL,
        commandKey: 'read',
        payload: ids.map((attrId) => ({ attrId })),
        disableDefaultResponse: true,
      });
    } catch (error) {
      this.log.debug({ cluster, reason: herdsmanReason(error) }, 'attribute read unanswered');
      return null;
    }
    if (!raw || !this.fromTheLock(target, raw, definition.ID) || !raw.header) return null;
    try {
      const frame = Zcl.Frame.fromBuffer(definition.ID, raw.header, raw.data, {});
      if (frame.command.name !== 'readRsp') return null;
      const out: Record<string, unknown> = {};
      for (const record of frame.payload as { attrId: number; status: number; attrData?: unknown }[]) {
        const name = Object.values(definition.attributes).find((a) => a.ID === record.attrId)?.name;
        if (name && record.status === Zcl.Status.SUCCESS) out[name] = record.attrData;
      }
      return out;
    } catch {
      return null;
    }
  }

  private async send(
    target: RadioTarget,
    cluster: string,
    zcl: { frameType: Zcl.FrameType; commandKey: string; payload: unknown; disableDefaultResponse: boolean },
  ): Promise<ZclPayload | undefined> {
    const sending = target.controller.sendRaw({
      ieeeAddress: target.device.ieeeAddr,
      networkAddress: target.device.networkAddress,
      dstEndpoint: target.endpoint.ID,
      clusterKey: cluster,
      zcl: {
        ...zcl,
        direction: Zcl.Direction.CLIENT_TO_SERVER,
        payload: zcl.payload as Record<string, unknown>,
      },
      timeout: this.timeoutMs,
    }) as Promise<ZclPayload | undefined>;
    // An adapter that stops while a frame is out may never settle it: the lock's turn must end.
    let guard: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      guard = setTimeout(
        () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs + GUARD_MS,
      );
    });
    try {
      return await Promise.race([sending, expired]);
    } finally {
      clearTimeout(guard);
      sending.catch(() => undefined);
    }
  }

  private fromTheLock(
    target: RadioTarget,
    raw: ZclPayload,
    cluster = Zcl.Clusters.closuresDoorLock.ID,
  ): boolean {
    const address = raw.address === target.device.networkAddress || raw.address === target.device.ieeeAddr;
    return address && raw.endpoint === target.endpoint.ID && raw.clusterID === cluster;
  }
}
