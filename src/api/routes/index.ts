// The route table: the Seam API path without its leading slash.
import type { ApiContext } from '../context.ts';
import {
  createAccessCode,
  deleteAccessCode,
  getAccessCode,
  listAccessCodes,
  updateAccessCode,
} from './access-codes.ts';
import { getActionAttempt, listEvents } from './attempts-and-events.ts';
import { getDevice, listDevices, lockDoor, unlockDoor } from './devices.ts';
import { convertUnmanaged, deleteUnmanaged, getUnmanaged, listUnmanaged } from './unmanaged-codes.ts';
import { permitJoin, removeDevice } from './zigbee.ts';

export type Route = (ctx: ApiContext, params: unknown) => Record<string, unknown>;

/** A Map, not an object: a route named like an Object.prototype member (toString) is unknown. */
export const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['access_codes/create', createAccessCode],
  ['access_codes/get', getAccessCode],
  ['access_codes/list', listAccessCodes],
  ['access_codes/update', updateAccessCode],
  ['access_codes/delete', deleteAccessCode],
  ['access_codes/unmanaged/list', listUnmanaged],
  ['access_codes/unmanaged/get', getUnmanaged],
  ['access_codes/unmanaged/convert_to_managed', convertUnmanaged],
  ['access_codes/unmanaged/delete', deleteUnmanaged],
  ['action_attempts/get', getActionAttempt],
  ['devices/list', listDevices],
  ['devices/get', getDevice],
  ['locks/lock_door', lockDoor],
  ['locks/unlock_door', unlockDoor],
  ['events/list', listEvents],
  ['zigbee/permit_join', permitJoin],
  ['zigbee/remove_device', removeDevice],
]);
