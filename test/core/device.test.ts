// What a lock's bolt reports become: events for changes and actions, nothing for a reading that
// says what the bridge already knew (the status read on every connect and restart).
import { describe, expect, it } from 'vitest';
import { type Device, lockStateReported } from '../../src/core/device.ts';

const device = (locked: boolean | null): Device => ({
  device_id: 'd1',
  identity: 'lockwire:LK-1',
  driver: 'serial',
  name: 'Front',
  capabilities: null,
  online: true,
  locked,
  jammed: false,
  door_open: null,
  battery_level: null,
  slots_read_at: null,
  full_read_from: null,
  removed_at: null,
  created_at: 0,
});

const types = (change: { events: Array<{ event_type: string }> }) => change.events.map((e) => e.event_type);

describe('lockStateReported', () => {
  it('a reading (source unknown) of the state the bridge knew is no event and no change', () => {
    const known = device(true);
    const change = lockStateReported(known, 'locked', 'unknown', null);
    expect(change.events).toEqual([]);
    expect(change.device).toBe(known); // nothing to write
    expect(lockStateReported(device(false), 'unlocked', 'unknown', null).events).toEqual([]);
  });

  it('a reading that differs from what the bridge knew is a change: reported, method unknown', () => {
    const change = lockStateReported(device(true), 'unlocked', 'unknown', null);
    expect(types(change)).toEqual(['lock.unlocked']);
    expect(change.events[0]!.fields).toMatchObject({ method: 'unknown' });
    expect(change.device.locked).toBe(false);
  });

  it('the first reading of a lock never heard before sets the state without an event', () => {
    const change = lockStateReported(device(null), 'locked', 'unknown', null);
    expect(change.events).toEqual([]);
    expect(change.device.locked).toBe(true);
  });

  it('real actions are reported even when the bolt was already there (a manual or automatic relock)', () => {
    expect(types(lockStateReported(device(true), 'locked', 'manual', null))).toEqual(['lock.locked']);
    expect(types(lockStateReported(device(true), 'locked', 'automatic', null))).toEqual(['lock.locked']);
    expect(types(lockStateReported(device(false), 'locked', 'keypad', null))).toEqual(['lock.locked']);
  });

  it('host actions and keypad unlocks stay reported once, elsewhere', () => {
    expect(lockStateReported(device(true), 'unlocked', 'host', null).events).toEqual([]);
    expect(lockStateReported(device(true), 'unlocked', 'keypad', null).events).toEqual([]);
  });
});
