// What Home Assistant shows of a lock: the bolt (LOCKING / UNLOCKING while a door action of ours
// is pending, JAMMED, unknown), battery, connectivity, and code counts that move one code at a time.
import { describe, expect, it } from 'vitest';
import {
  type CodeRecord,
  type DeviceRecord,
  LockBoard,
} from '../../../src/transports/mqtt/homeassistant/lock-board.ts';

const device = (over: Partial<DeviceRecord['properties']> = {}): DeviceRecord => ({
  device_id: 'd1',
  name: 'Front',
  properties: {
    online: true,
    locked: true,
    jammed: false,
    battery_level: 0.874,
    manufacturer: null,
    model: null,
    serial_number: null,
    ...over,
  },
});
const code = (id: string, status: string, errors: unknown[] = [], deviceId = 'd1'): CodeRecord => ({
  access_code_id: id,
  device_id: deviceId,
  name: `Code ${id}`,
  status,
  errors,
});

describe('LockBoard', () => {
  it('maps the device to the lock, battery and connectivity states', () => {
    const board = new LockBoard(() => undefined);
    board.deviceSeen(device());
    expect(board.state('d1')).toEqual({
      lock: 'LOCKED',
      battery: 87,
      connectivity: 'ON',
      codes_set: 0,
      codes_pending: 0,
      codes_failed: 0,
    });
    board.deviceSeen(device({ locked: false, online: false, battery_level: null }));
    expect(board.state('d1')).toMatchObject({ lock: 'UNLOCKED', battery: null, connectivity: 'OFF' });
    board.deviceSeen(device({ locked: null, jammed: true }));
    expect(board.state('d1')?.lock).toBe('JAMMED');
    board.deviceSeen(device({ locked: null }));
    expect(board.state('d1')?.lock).toBe('None');
    expect(board.state('nobody')).toBeNull();
  });

  it('shows LOCKING / UNLOCKING until the attempt ends, even when the end was heard first', () => {
    const changed: string[] = [];
    const board = new LockBoard((id) => changed.push(id));
    board.deviceSeen(device({ locked: false }));
    board.doorActionPending('a1', 'd1', true);
    expect(board.state('d1')?.lock).toBe('LOCKING');
    board.attemptEnded('a1');
    expect(board.state('d1')?.lock).toBe('UNLOCKED'); // the device record says what came of it
    board.attemptEnded('a2');
    board.doorActionPending('a2', 'd1', false); // its end came before the request's answer
    expect(board.state('d1')?.lock).toBe('UNLOCKED');
    board.attemptEnded('unknown'); // not a door action of ours: nothing happens
    expect(changed.filter((id) => id === 'd1').length).toBeGreaterThanOrEqual(3);
  });

  it('counts codes set, pending and failed, moving one code between counts as it changes', () => {
    const board = new LockBoard(() => undefined);
    board.deviceSeen(device());
    board.codeSeen(code('c1', 'setting'));
    board.codeSeen(code('c2', 'setting'));
    board.codeSeen(code('c3', 'unset')); // waiting for its window: in no count
    expect(board.state('d1')).toMatchObject({ codes_set: 0, codes_pending: 2, codes_failed: 0 });
    board.codeSeen(code('c1', 'set'));
    board.codeSeen(code('c1', 'set')); // the same record again (a re-send): no double count
    board.codeSeen(code('c2', 'setting', [{ error_code: 'failed_to_set_on_device' }]));
    expect(board.state('d1')).toMatchObject({ codes_set: 1, codes_pending: 0, codes_failed: 1 });
    board.codeGone('c2');
    board.codeGone('c2');
    board.codeSeen(code('c3', 'set'));
    expect(board.state('d1')).toMatchObject({ codes_set: 2, codes_pending: 0, codes_failed: 0 });
    expect(board.codeName('c3')).toBe('Code c3');
  });

  it('forgets a removed lock with its codes', () => {
    const board = new LockBoard(() => undefined);
    board.deviceSeen(device());
    board.codeSeen(code('c1', 'set'));
    board.deviceGone('d1');
    expect(board.state('d1')).toBeNull();
    expect(board.deviceIds()).toEqual([]);
    board.deviceSeen(device());
    expect(board.state('d1')?.codes_set).toBe(0);
  });
});
