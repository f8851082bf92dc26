// What Home Assistant shows of a lock: the bolt (LOCKING / UNLOCKING while a door action of ours
// is pending, JAMMED, unknown), battery, connectivity, and code counts asked of the store.
import { describe, expect, it } from 'vitest';
import { newManagedCode } from '../../../src/core/access-code.ts';
import { Store } from '../../../src/store/store.ts';
import { type DeviceRecord, LockBoard } from '../../../src/transports/mqtt/homeassistant/lock-board.ts';

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
const NO_CODES = () => ({ set: 0, pending: 0, failed: 0 });

describe('LockBoard', () => {
  it('maps the device to the lock, battery and connectivity states', () => {
    const board = new LockBoard(() => undefined, NO_CODES);
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
    const board = new LockBoard((id) => changed.push(id), NO_CODES);
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

  it("counts the lock's live codes in the store: set, pending, failed (errors first), none for unset", () => {
    const store = Store.inMemory('gw');
    const { device: d } = store.devices.ensure('sim:A', 'simulated', 'Front', 1000);
    const { device: other } = store.devices.ensure('sim:B', 'simulated', 'Back', 1000);
    const save = (id: string, status: string, over: Record<string, unknown> = {}, deviceId = d.device_id) =>
      store.codes.save({
        ...newManagedCode({
          access_code_id: id,
          device_id: deviceId,
          code: `12${id.length}4${id}`,
          created_at: 1,
        }),
        status,
        ...over,
      } as ReturnType<typeof newManagedCode>);
    const changed: string[] = [];
    const board = new LockBoard(
      (id) => changed.push(id),
      (id) => store.codes.countsOf(id),
    );
    board.deviceSeen({ ...device(), device_id: d.device_id });
    expect(board.state(d.device_id)).toMatchObject({ codes_set: 0, codes_pending: 0, codes_failed: 0 });
    save('c1', 'set');
    save('c2', 'setting');
    save('c3', 'removing');
    save('c4', 'unknown');
    save('c5', 'unset'); // waiting for its window: in no count
    save('c6', 'setting', {
      errors: [{ error_code: 'failed_to_set_on_device', message: 'x', created_at: 'x' }],
    });
    save('c7', 'set', { deleted_at: 5 }); // deleted: no longer counted
    save('c8', 'set', {}, other.device_id); // another lock's
    // Counted once until one of the lock's codes changes (its record goes out): then asked again.
    expect(board.state(d.device_id)).toMatchObject({ codes_set: 0, codes_pending: 0, codes_failed: 0 });
    board.codesChanged(d.device_id);
    expect(board.state(d.device_id)).toMatchObject({ codes_set: 1, codes_pending: 3, codes_failed: 1 });
    expect(store.codes.find('c7')).toMatchObject({ device_id: d.device_id });
    expect(store.codes.find('nope')).toBeUndefined();
    changed.length = 0;
    board.codesChanged(d.device_id);
    board.codesChanged('not-a-lock-it-knows');
    expect(changed).toEqual([d.device_id]);
    save('c1', 'setting');
    board.someCodesChanged(); // a code went whose lock is unknown: every lock is counted again
    expect(changed).toEqual([d.device_id, d.device_id]);
    expect(board.state(d.device_id)).toMatchObject({ codes_set: 0, codes_pending: 4, codes_failed: 1 });
    store.close();
  });

  it('forgets a removed lock', () => {
    const board = new LockBoard(() => undefined, NO_CODES);
    board.deviceSeen(device());
    board.deviceGone('d1');
    expect(board.state('d1')).toBeNull();
    expect(board.deviceIds()).toEqual([]);
    board.deviceSeen(device());
    expect(board.state('d1')?.codes_set).toBe(0);
  });
});
