// Answered request ids and their responses, kept for a while (24 h by default, requests.memory_hours)
// so a redelivered request is not executed twice. The table holds what was answered in that time:
// its size is the request rate times the memory (about 1 KB a request; a list's response more).
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export const REQUEST_MEMORY_MS = 24 * 60 * 60 * 1000;

export class RequestRepository {
  private readonly getStmt: StatementSync;
  private readonly putStmt: StatementSync;
  private readonly pruneStmt: StatementSync;
  /** How long an answered request is remembered. */
  memoryMs = REQUEST_MEMORY_MS;

  constructor(db: DatabaseSync) {
    this.getStmt = db.prepare('SELECT response FROM requests WHERE request_id = ? AND created_at > ?');
    this.putStmt = db.prepare(
      'INSERT OR REPLACE INTO requests (request_id, response, created_at) VALUES (?, ?, ?)',
    );
    this.pruneStmt = db.prepare(
      'DELETE FROM requests WHERE request_id IN (SELECT request_id FROM requests WHERE created_at <= ? LIMIT ?)',
    );
  }

  /** The stored response of a request answered within the memory. */
  answered(requestId: string, now: number): Record<string, unknown> | undefined {
    const row = this.getStmt.get(storedKey(requestId), now - this.memoryMs) as
      | { response: string }
      | undefined;
    return row ? JSON.parse(row.response) : undefined;
  }

  remember(requestId: string, response: Record<string, unknown>, now: number): void {
    this.putStmt.run(storedKey(requestId), JSON.stringify(response), now);
  }

  /** Forgets up to `limit` requests older than the memory; returns how many (fewer: done). */
  prune(now: number, limit = Number.MAX_SAFE_INTEGER): number {
    return Number(this.pruneStmt.run(now - this.memoryMs, limit).changes);
  }
}

/**
 * Request ids compare exactly. SQLite keeps text as UTF-8, which turns every lone surrogate into
 * U+FFFD, so "r\ud800", "r\udc00" and "r\ufffd" would share one key. An id that is not
 * well-formed UTF-16 is kept as a BLOB of its UTF-16 code units instead: lossless, and never equal
 * to a TEXT key. Well-formed ids stay TEXT, as before.
 */
function storedKey(requestId: string): string | Uint8Array {
  return LONE_SURROGATE.test(requestId) ? Buffer.from(requestId, 'utf16le') : requestId;
}

/** With the u flag a surrogate pair is one code point, so this matches only a lone surrogate. */
const LONE_SURROGATE = /\p{Cs}/u;
