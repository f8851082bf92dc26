// The discovery payloads against Home Assistant's documented schema (ha-schema.ts): keys, types,
// required fields; one device per lock via the bridge's device; availability on the bridge's
// state and the lock's own connectivity.
import { describe, expect, it } from 'vitest';
import {
  hubDiscovery,
  hubIdentifier,
  KEYPAD_EVENT_TYPES,
  lockDiscovery,
  lockTopics,
} from '../../../src/transports/mqtt/homeassistant/discovery.ts';
import { deviceDiscovery } from './ha-schema.ts';

const topics = { root: 'lockbridge/hub-1', gatewayId: 'hub-1', version: '0.1.0' };
const lock = {
  device_id: '6f1c1e8a-2a8e-4d57-9a43-0a3f5c1d2e77',
  name: 'Front door',
  properties: { manufacturer: 'Acme', model: 'K1', serial_number: 'LK-1' },
};

describe('lock discovery', () => {
  const payload = lockDiscovery(lock, topics);

  it("is valid by Home Assistant's schema", () => {
    const result = deviceDiscovery.safeParse(payload);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('one device for the lock, via the bridge, with a unique id per entity', () => {
    expect(payload.device).toEqual({
      identifiers: [`lockbridge_${lock.device_id}`],
      name: 'Front door',
      via_device: hubIdentifier('hub-1'),
      manufacturer: 'Acme',
      model: 'K1',
      serial_number: 'LK-1',
    });
    expect(Object.keys(payload.components).sort()).toEqual([
      'battery',
      'codes_failed',
      'codes_pending',
      'codes_set',
      'connectivity',
      'keypad',
      'lock',
    ]);
    const ids = Object.values(payload.components).map((c) => c.unique_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(payload.components.keypad.event_types).toEqual([...KEYPAD_EVENT_TYPES]);
  });

  it('a lock entity on its own command topic, with every state the bridge reports', () => {
    const own = lockTopics(lock.device_id);
    expect(payload.components.lock).toMatchObject({
      command_topic: `lockbridge/hub-1/${own.command}`,
      state_topic: `lockbridge/hub-1/${own.state}`,
      payload_lock: 'LOCK',
      payload_unlock: 'UNLOCK',
      state_locked: 'LOCKED',
      state_unlocked: 'UNLOCKED',
      state_locking: 'LOCKING',
      state_unlocking: 'UNLOCKING',
      state_jammed: 'JAMMED',
      retain: false,
    });
  });

  it('available while the bridge is online and the lock answers; connectivity only needs the bridge', () => {
    expect(payload.availability_mode).toBe('all');
    expect(payload.availability.map((a) => a.topic)).toEqual([
      'lockbridge/hub-1/bridge/state',
      `lockbridge/hub-1/${lockTopics(lock.device_id).state}`,
    ]);
    expect(payload.components.connectivity.availability.map((a) => a.topic)).toEqual([
      'lockbridge/hub-1/bridge/state',
    ]);
  });

  it('leaves out what the lock does not say (no manufacturer)', () => {
    const bare = lockDiscovery(
      { ...lock, properties: { manufacturer: null, model: null, serial_number: null } },
      topics,
    );
    expect(deviceDiscovery.safeParse(bare).success).toBe(true);
    expect(bare.device).not.toHaveProperty('manufacturer');
  });

  it('the schema catches what Home Assistant would silently drop or refuse', () => {
    const misspelt = structuredClone(payload) as Record<string, unknown> & typeof payload;
    (misspelt.components.lock as Record<string, unknown>).stat_topic = 'x';
    expect(deviceDiscovery.safeParse(misspelt).success).toBe(false);
    const noEventTypes = structuredClone(payload);
    (noEventTypes.components.keypad as { event_types?: string[] }).event_types = undefined;
    expect(deviceDiscovery.safeParse(noEventTypes).success).toBe(false);
    const noOrigin: Record<string, unknown> = { ...structuredClone(payload) };
    delete noOrigin.origin;
    expect(deviceDiscovery.safeParse(noOrigin).success).toBe(false);
  });
});

describe('bridge discovery', () => {
  it("is valid by Home Assistant's schema and is the device the locks are via", () => {
    const payload = hubDiscovery(topics);
    const result = deviceDiscovery.safeParse(payload);
    expect(result.error?.issues ?? []).toEqual([]);
    expect(payload.device.identifiers).toEqual([hubIdentifier('hub-1')]);
    expect(payload.device.sw_version).toBe('0.1.0');
  });
});
