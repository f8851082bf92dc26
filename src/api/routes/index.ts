// The route table: the Seam API path without its leading slash, the route and its parameters.
import type * as z from 'zod';
import type { ApiContext } from '../context.ts';
import {
  createAccessCode,
  createSchema,
  deleteAccessCode,
  getAccessCode,
  getSchema,
  listAccessCodes,
  listSchema,
  updateAccessCode,
  updateSchema,
} from './access-codes.ts';
import { attemptParams, eventsParams, getActionAttempt, listEvents } from './attempts-and-events.ts';
import { deviceParams, getDevice, listDevices, lockDoor, noParams, unlockDoor } from './devices.ts';
import {
  byCode,
  byDevice,
  convertUnmanaged,
  deleteUnmanaged,
  getUnmanaged,
  listUnmanaged,
} from './unmanaged-codes.ts';
import { permitJoin, permitParams, removeDevice, removeParams } from './zigbee.ts';

export type Route = (ctx: ApiContext, params: unknown) => Record<string, unknown>;

interface RouteEntry {
  run: Route;
  /** The parameters' schema: the route validates with it; transports read it to type text parameters. */
  params: z.ZodObject;
  /** Reads nothing but the store: safe to carry in a GET. */
  readOnly: boolean;
}

const entries: Array<[string, Route, z.ZodObject, 'read' | 'write']> = [
  ['access_codes/create', createAccessCode, createSchema, 'write'],
  ['access_codes/get', getAccessCode, getSchema, 'read'],
  ['access_codes/list', listAccessCodes, listSchema, 'read'],
  ['access_codes/update', updateAccessCode, updateSchema, 'write'],
  ['access_codes/delete', deleteAccessCode, getSchema, 'write'],
  ['access_codes/unmanaged/list', listUnmanaged, byDevice, 'read'],
  ['access_codes/unmanaged/get', getUnmanaged, byCode, 'read'],
  ['access_codes/unmanaged/convert_to_managed', convertUnmanaged, byCode, 'write'],
  ['access_codes/unmanaged/delete', deleteUnmanaged, byCode, 'write'],
  ['action_attempts/get', getActionAttempt, attemptParams, 'read'],
  ['devices/list', listDevices, noParams, 'read'],
  ['devices/get', getDevice, deviceParams, 'read'],
  ['locks/lock_door', lockDoor, deviceParams, 'write'],
  ['locks/unlock_door', unlockDoor, deviceParams, 'write'],
  ['events/list', listEvents, eventsParams, 'read'],
  ['zigbee/permit_join', permitJoin, permitParams, 'write'],
  ['zigbee/remove_device', removeDevice, removeParams, 'write'],
];

/** A Map, not an object: a route named like an Object.prototype member (toString) is unknown. */
export const ROUTES: ReadonlyMap<string, RouteEntry> = new Map(
  entries.map(([name, run, params, kind]) => [name, { run, params, readOnly: kind === 'read' }]),
);
