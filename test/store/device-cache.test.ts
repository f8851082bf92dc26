// The per-device row cache under the codes and slots repositories is bounded: memory does not grow
// with the store, and a device it forgot is read from SQLite again, unchanged.
import { describe, expect, it } from 'vitest';
import { type ManagedCode, newManagedCode } from '../../src/core/access-code.ts';
import { DeviceCache } from '../../src/store/device-cache.ts';
import { Store } from '../../src/store/store.ts';

describe('DeviceCache', () => {
  it('forgets the devices used least recently beyond its row budget, never the one just loaded', () => {
    const loads: string[] = [];
    const evicted: string[] = [];
    const cache = new DeviceCache<number, string>(
      (deviceId) => {
        loads.push(deviceId);
        return [1, 2, 3].map((n): [number, string] => [n, `${deviceId}-${n}`]);
      },
      { maxRows: 10, onEvict: (deviceId) => evicted.push(deviceId) },
    );
    cache.rows('a'); // 3 rows + 1 for the entry: 4
    cache.rows('b'); // 8
    cache.rows('a'); // a is now the most recent
    cache.rows('c'); // 12 > 10: b, the least recent, goes
    expect(evicted).toEqual(['b']);
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('a')?.get(2)).toBe('a-2');
    cache.rows('b'); // loaded again from the source
    expect(loads).toEqual(['a', 'b', 'c', 'b']);
    expect(cache.size()).toBe(2);

    // a went when b came back (a was then the least recent).
    expect(evicted).toEqual(['b', 'a']);
    // Rows written through the cache count too: c grows to 8 rows, and loading d evicts it.
    for (let n = 10; n < 16; n++) cache.set('c', n, `c-${n}`);
    cache.delete('c', 15);
    cache.rows('d');
    expect(evicted).toEqual(['b', 'a', 'c']);
    // An emptied device weighs one: e fits beside b and d without evicting anything.
    cache.empty('d');
    cache.rows('e');
    expect(evicted).toEqual(['b', 'a', 'c']);
    expect(cache.size()).toBe(3);

    const tiny = new DeviceCache<number, number>(
      () => [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      { maxRows: 2 },
    );
    expect(tiny.rows('big').size).toBe(3); // over budget on its own, but kept: it was just asked for
    expect(tiny.size()).toBe(1);
  });

  it("keeps the codes repository's memory bounded on a large store, and answers the same", () => {
    const store = Store.inMemory('gw');
    const now = 1_000_000;
    const ids: string[] = [];
    store.tx.run(() => {
      for (let l = 0; l < 300; l++) {
        const { device } = store.devices.ensure(`sim:L${l}`, 'simulated', `Lock ${l}`, now);
        for (let c = 0; c < 50; c++) {
          const code = newManagedCode({
            access_code_id: `${l}-${c}`,
            device_id: device.device_id,
            code: String(100000 + l * 50 + c),
            created_at: now + c,
          });
          store.codes.save(code);
          if (c === 0) ids.push(code.access_code_id);
        }
      }
    });
    const devices = store.devices.list();
    // Every lock's codes read, as a full reconcile pass does: 15,000 codes in all.
    for (const device of devices) expect(store.codes.forDevice(device.device_id)).toHaveLength(50);
    const cache = (store.codes as unknown as { cache: DeviceCache<string, unknown> }).cache;
    expect(cache.size()).toBeLessThan(devices.length);
    expect(cache.size() * 51).toBeLessThanOrEqual(10_000 + 51);
    // A code of a forgotten lock is read from SQLite; one of a remembered lock from the cache.
    expect(store.codes.get(ids[0]!)?.code).toBe('100000');
    expect(store.codes.get(ids[299]!)?.code).toBe(String(100000 + 299 * 50));
    store.close();
  });
  it('counts the codes the repository adds to a cached lock against the bound', () => {
    const store = Store.inMemory('gw');
    const now = 1_000_000;
    const [a, b, c] = ['A', 'B', 'C'].map(
      (name) => store.devices.ensure(`sim:${name}`, 'simulated', name, now).device,
    );
    const cache = (store.codes as unknown as { cache: DeviceCache<string, unknown> }).cache;
    store.codes.forDevice(a!.device_id);
    store.codes.forDevice(b!.device_id);
    // 10,001 codes created on A while it is cached: A alone is now past the 10,000-row budget.
    store.tx.run(() => {
      for (let n = 0; n <= 10_000; n++) {
        store.codes.save(
          newManagedCode({
            access_code_id: `a-${n}`,
            device_id: a!.device_id,
            code: String(100000 + n),
            created_at: now + n,
          }),
        );
      }
    });
    expect(cache.peek(a!.device_id)?.size).toBe(10_001);
    store.codes.forDevice(c!.device_id); // loading C finds the cache over budget: A, least recent, goes
    expect(cache.peek(a!.device_id)).toBeUndefined();
    expect(store.codes.forDevice(a!.device_id)).toHaveLength(10_001); // read again from SQLite
  });
  it('hands out one list a device until its rows change, in the order asked for', () => {
    const cache = new DeviceCache<number, { n: number }>(
      () => [
        [3, { n: 3 }],
        [1, { n: 1 }],
      ],
      { order: (a, b) => a.n - b.n },
    );
    const first = cache.list('a');
    expect(first.map((r) => r.n)).toEqual([1, 3]);
    expect(cache.list('a')).toBe(first); // no copy, no sort, while nothing changed
    cache.set('a', 2, { n: 2 });
    expect(cache.list('a').map((r) => r.n)).toEqual([1, 2, 3]);
    expect(first.map((r) => r.n)).toEqual([1, 3]); // a list handed out is never changed under its holder
    cache.delete('a', 1);
    expect(cache.list('a').map((r) => r.n)).toEqual([2, 3]);
    cache.empty('a');
    expect(cache.list('a')).toEqual([]);
    cache.clear(); // a rollback: loaded again from the source
    expect(cache.list('a').map((r) => r.n)).toEqual([1, 3]);
  });
  it("counts a cached lock's codes for Home Assistant as SQLite counts them", () => {
    const store = Store.inMemory('gw');
    const now = 1_000_000;
    const { device } = store.devices.ensure('sim:L', 'simulated', 'L', now);
    const error = { error_code: 'failed_to_set_on_device', message: 'no', created_at: 'x' } as const;
    const variants: Array<Partial<ManagedCode>> = [
      { status: 'set' },
      { status: 'set' },
      { status: 'setting' },
      { status: 'removing' },
      { status: 'unknown' },
      { status: 'unset' },
      { status: 'setting', errors: [error] },
      { status: 'set', deleted_at: now },
    ];
    store.tx.run(() => {
      for (const [n, variant] of variants.entries()) {
        store.codes.save({
          ...newManagedCode({
            access_code_id: `c-${n}`,
            device_id: device.device_id,
            code: String(100000 + n),
            created_at: now + n,
          }),
          ...variant,
        });
      }
    });
    const cache = (store.codes as unknown as { cache: DeviceCache<string, unknown> }).cache;
    cache.clear();
    const fromSqlite = store.codes.countsOf(device.device_id);
    expect(fromSqlite).toEqual({ set: 2, pending: 3, failed: 1 });
    store.codes.forDevice(device.device_id); // now cached
    expect(cache.peek(device.device_id)).toBeDefined();
    expect(store.codes.countsOf(device.device_id)).toEqual(fromSqlite);
  });
});
