// A write-through cache of one table's rows, by device: loaded from SQLite the first time a
// device's rows are asked for, kept up to date by the repository's own writes, and dropped whole
// when a transaction rolls back (what it had written is then stale). The reconciler reads a
// lock's codes and slots on every step; this keeps that cost flat however many rows the store has.
// Rows handed out are shared: callers treat them as immutable, as the core's transitions do.
export class DeviceCache<K, V> {
  private readonly byDevice = new Map<string, Map<K, V>>();

  constructor(private readonly load: (deviceId: string) => Iterable<[K, V]>) {}

  /** Every row of the device, in the order loaded then added. */
  rows(deviceId: string): Map<K, V> {
    let rows = this.byDevice.get(deviceId);
    if (!rows) {
      rows = new Map(this.load(deviceId));
      this.byDevice.set(deviceId, rows);
    }
    return rows;
  }

  /** The cached rows of a device, or undefined when not loaded (the caller asks SQLite). */
  peek(deviceId: string): Map<K, V> | undefined {
    return this.byDevice.get(deviceId);
  }

  set(deviceId: string, key: K, value: V): void {
    this.byDevice.get(deviceId)?.set(key, value);
  }

  delete(deviceId: string, key: K): void {
    this.byDevice.get(deviceId)?.delete(key);
  }

  clear(): void {
    this.byDevice.clear();
  }
}
