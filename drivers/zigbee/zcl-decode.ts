// Reads Door Lock frames from the lock, with herdsman's ZCL codec, and where that codec gives up
// (a notification without its trailing Data string, getYearDayScheduleRsp's strict "not found" form
// without the times), field by field from herdsman's own cluster definition: the fields that are
// there are read, the missing trailing ones are absent.
import { Zcl } from './herdsman.ts';

const DOOR_LOCK = Zcl.Clusters.closuresDoorLock;

export interface DecodedFrame {
  /** The response or notification's name (getPinCodeRsp, operationEventNotification, defaultRsp ...). */
  name: string;
  global: boolean;
  fromLock: boolean;
  tsn: number;
  payload: Record<string, unknown>;
}

/** A Door Lock frame's bytes (header included); null when even the header can't be read. */
export function decodeDoorLockFrame(bytes: Buffer): DecodedFrame | null {
  const header = Zcl.Header.fromBuffer(bytes);
  if (!header) return null;
  const fromLock = header.frameControl.direction === Zcl.Direction.SERVER_TO_CLIENT;
  try {
    const frame = Zcl.Frame.fromBuffer(DOOR_LOCK.ID, header, bytes, {});
    return {
      name: frame.command.name,
      global: header.isGlobal,
      fromLock,
      tsn: header.transactionSequenceNumber,
      payload: frame.payload as Record<string, unknown>,
    };
  } catch {
    if (header.isGlobal) return null;
    const command = Object.values(fromLock ? DOOR_LOCK.commandsResponse : DOOR_LOCK.commands).find(
      (c) => c.ID === header.commandIdentifier,
    );
    if (!command) return null;
    return {
      name: command.name,
      global: false,
      fromLock,
      tsn: header.transactionSequenceNumber,
      payload: readFields(bytes.subarray(header.length), command.parameters),
    };
  }
}

type Parameter = { name: string; type: number };

/** The fields of `parameters` that `body` holds, in order; a field cut short ends the reading. */
export function readFields(body: Buffer, parameters: readonly Parameter[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let at = 0;
  for (const p of parameters) {
    const read = readOne(body, at, p.type);
    if (read === null) break;
    out[p.name] = read.value;
    at = read.next;
  }
  return out;
}

function readOne(body: Buffer, at: number, type: number): { value: unknown; next: number } | null {
  const D = Zcl.DataType;
  const fixed = (size: number, read: () => number) =>
    at + size <= body.length ? { value: read(), next: at + size } : null;
  switch (type) {
    case D.UINT8:
    case D.ENUM8:
    case D.BITMAP8:
    case D.DATA8:
      return fixed(1, () => body.readUInt8(at));
    case D.UINT16:
    case D.ENUM16:
    case D.BITMAP16:
      return fixed(2, () => body.readUInt16LE(at));
    case D.UINT32:
    case D.BITMAP32:
      return fixed(4, () => body.readUInt32LE(at));
    case D.OCTET_STR:
    case D.CHAR_STR: {
      if (at >= body.length) return null;
      const length = body.readUInt8(at);
      // 0xFF is the "no value" string.
      const size = length === 0xff ? 0 : length;
      if (at + 1 + size > body.length) return null;
      const bytes = Buffer.from(body.subarray(at + 1, at + 1 + size));
      return { value: type === D.CHAR_STR ? bytes.toString('utf8') : bytes, next: at + 1 + size };
    }
    default:
      return null;
  }
}

/** The command id of a Door Lock command the bridge sends, and of the response it waits for. */
export function commandIds(name: string): { id: number; response: number | undefined } {
  const command = (DOOR_LOCK.commands as Record<string, { ID: number; response?: number }>)[name];
  if (!command) throw new Error(`no Door Lock command ${name}`);
  return { id: command.ID, response: command.response };
}
