// A write-through cache of one table's rows, by device: loaded from SQLite the first time a
// device's rows are asked for, kept up to date by the repository's own writes, and dropped whole
// when a transaction rolls back (what it had written is then stale). The reconciler reads a
// lock's codes and slots on every step; this keeps that cost flat however many rows the store has.
// Rows handed out are shared: callers treat them as immutable, as the core's transitions do.
//
// Bounded: the devices used least recently are forgotten once the cache holds more than
// `maxRows` rows (the device just loaded always stays), so memory does not grow with the store.
// The locks being worked on are the ones asked for again and again; a forgotten one is read from
// SQLite again when next asked for.

/** Rows a cache keeps at most, by default: a few hundred locks' codes, a few MiB. */
export const DEFAULT_MAX_ROWS = 10_000;

export interface DeviceCacheOptions<K, V> {
  maxRows?: number;
  /** The order of `list` (default: the order loaded, then added). */
  order?: (a: V, b: V) => number;
  /** Told of a device's rows when they are forgotten (to forget what the repository keyed on them). */
  onEvict?: (deviceId: string, rows: Map<K, V>) => void;
}

export class DeviceCache<K, V> {
  /** In order of use: the least recently used device first. */
  private readonly byDevice = new Map<string, Map<K, V>>();
  /** Rows cached, plus one per device (a device without rows still costs its entry). */
  private weight = 0;
  private readonly maxRows: number;
  private readonly onEvict: ((deviceId: string, rows: Map<K, V>) => void) | undefined;
  private readonly order: ((a: V, b: V) => number) | undefined;
  /** Each device's rows as a list, made on demand and dropped at its next change. */
  private readonly lists = new Map<string, readonly V[]>();

  constructor(
    private readonly load: (deviceId: string) => Iterable<[K, V]>,
    options: DeviceCacheOptions<K, V> = {},
  ) {
    this.maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    this.onEvict = options.onEvict;
    this.order = options.order;
  }

  /** Every row of the device, in the order loaded then added (read-only: change rows through set and delete). */
  rows(deviceId: string): Map<K, V> {
    let rows = this.byDevice.get(deviceId);
    if (rows) {
      // Most recently used now: moves to the end of the order.
      this.byDevice.delete(deviceId);
      this.byDevice.set(deviceId, rows);
      return rows;
    }
    rows = new Map(this.load(deviceId));
    this.byDevice.set(deviceId, rows);
    this.weight += rows.size + 1;
    this.evictBeyondBudget(deviceId);
    return rows;
  }

  /**
   * Every row of the device as an array, shared (read-only): the reconciler asks for a lock's rows
   * at every step, and copying (or sorting) a thousand rows each time made a step cost grow with
   * the lock. Made again only after the device's rows changed.
   */
  list(deviceId: string): readonly V[] {
    const rows = this.rows(deviceId);
    let list = this.lists.get(deviceId);
    if (!list) {
      const values = [...rows.values()];
      // Rows are loaded in order and mostly stay so: checking takes a comparison a row, sorting
      // (binary insertion for a lock's hundred slots) seven.
      list = this.order && !inOrder(values, this.order) ? values.sort(this.order) : values;
      this.lists.set(deviceId, list);
    }
    return list;
  }

  /** The cached rows of a device, or undefined when not loaded (the caller asks SQLite). */
  peek(deviceId: string): Map<K, V> | undefined {
    return this.byDevice.get(deviceId);
  }

  set(deviceId: string, key: K, value: V): void {
    const rows = this.byDevice.get(deviceId);
    if (!rows) return;
    if (!rows.has(key)) this.weight++;
    rows.set(key, value);
    this.lists.delete(deviceId);
  }

  delete(deviceId: string, key: K): void {
    if (this.byDevice.get(deviceId)?.delete(key)) this.weight--;
    this.lists.delete(deviceId);
  }

  /** The device has no rows now (it stays cached, empty). */
  empty(deviceId: string): void {
    const rows = this.byDevice.get(deviceId);
    if (!rows) return;
    this.weight -= rows.size;
    rows.clear();
    this.lists.delete(deviceId);
  }

  clear(): void {
    this.byDevice.clear();
    this.lists.clear();
    this.weight = 0;
  }

  /** Devices cached now (for tests of the bound). */
  size(): number {
    return this.byDevice.size;
  }

  private evictBeyondBudget(keep: string): void {
    for (const [deviceId, rows] of this.byDevice) {
      if (this.weight <= this.maxRows) return;
      if (deviceId === keep) continue;
      this.byDevice.delete(deviceId);
      this.lists.delete(deviceId);
      this.weight -= rows.size + 1;
      this.onEvict?.(deviceId, rows);
    }
  }
}

function inOrder<V>(values: readonly V[], order: (a: V, b: V) => number): boolean {
  for (let i = 1; i < values.length; i++) if (order(values[i - 1]!, values[i]!) > 0) return false;
  return true;
}
