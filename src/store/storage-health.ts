// Whether the store can write. A full disk, a read-only file system or a failing device makes
// SQLite refuse writes (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN); the bridge
// then stays up, says so once, and notices by itself when writes work again.

/** SQLite's primary result codes that mean the storage, not the request, is at fault. */
const STORAGE_CODES = new Set([8 /* READONLY */, 10 /* IOERR */, 13 /* FULL */, 14 /* CANTOPEN */]);

/** A store refusal caused by the storage (node:sqlite errors carry SQLite's result code as errcode). */
export function isStorageError(error: unknown): boolean {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  if (typeof errcode === 'number') return STORAGE_CODES.has(errcode & 0xff);
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EROFS' || code === 'EIO';
}

export interface StorageStatus {
  writable: boolean;
  /** Epoch ms the outage began; null while writable. */
  since: number | null;
  /** The store's own words for the last refusal, e.g. "database or disk is full". */
  reason: string | null;
}

/**
 * Writes must go on working this long before an outage counts as over: near a full disk some
 * writes fit and others don't, and the journal should say "cannot write" and "writes again" once.
 */
const RECOVERED_AFTER_MS = 2000;

export class StorageHealth {
  private state: StorageStatus = { writable: true, since: null, reason: null };
  private readonly listeners = new Set<(status: StorageStatus) => void>();
  private recovering: NodeJS.Timeout | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  get status(): StorageStatus {
    return this.state;
  }

  /** Told of every failed write; true when the storage was at fault (the caller may then wait). */
  failed(error: unknown): boolean {
    if (!isStorageError(error)) return false;
    if (this.recovering) clearTimeout(this.recovering);
    this.recovering = null;
    if (this.state.writable) {
      const reason = (error as { errstr?: string; message?: string }).errstr ?? (error as Error).message;
      this.change({ writable: false, since: this.now(), reason });
    }
    return true;
  }

  /** Told of every write that reached the store. */
  succeeded(): void {
    if (this.state.writable || this.recovering) return;
    this.recovering = setTimeout(() => {
      this.recovering = null;
      this.change({ writable: true, since: null, reason: null });
    }, RECOVERED_AFTER_MS);
    this.recovering.unref();
  }

  /** Called when the store stops or starts writing (once an outage, not once a failure). */
  onChange(listener: (status: StorageStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listeners hear of it on the next turn, outside the transaction that failed or succeeded. */
  private change(next: StorageStatus): void {
    this.state = next;
    setImmediate(() => {
      if (this.state !== next) return; // it changed back meanwhile: that change tells
      for (const listener of this.listeners) listener(next);
    });
  }
}
