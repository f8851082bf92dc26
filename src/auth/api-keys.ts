// API keys of the HTTP API. A key is `seam_<key_id>_<secret>` (Seam's SDKs accept any key that
// starts with `seam_`); the store keeps the key id, a random salt and the scrypt hash of the
// secret, never the key. A key checked once is remembered by a SHA-256 digest of it, so scrypt
// runs once a key and process, while every request still sees a revocation made meanwhile.
import {
  createHash,
  randomBytes,
  type ScryptOptions,
  scrypt,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';
import type { ApiKeyRepository } from '../store/api-keys.ts';

const SCRYPT: ScryptOptions = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const HASH_BYTES = 32;
const KEY_PATTERN = /^seam_([0-9a-f]{8})_([A-Za-z0-9_-]{20,200})$/;
/** Keys remembered as checked, at most (oldest forgotten first). */
const MAX_REMEMBERED = 1000;
/** last_used_at is written at most this often a key: each write costs a synchronous disk flush. */
const USED_WRITE_INTERVAL_MS = 10 * 60 * 1000;

/** What a request's key says about its caller. */
export interface ApiKeyIdentity {
  key_id: string;
  name: string;
}

/** A key as `api-key list` shows it. */
export interface ApiKeySummary {
  key_id: string;
  name: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** What the HTTP transport needs: is this key good? */
export interface ApiKeyVerifier {
  /**
   * The key's identity, or null for a key that is malformed, unknown, revoked or wrong. With
   * `hash: false` only a key already checked in this process can pass (no scrypt is spent).
   */
  verify(presented: string, options?: { hash?: boolean }): Promise<ApiKeyIdentity | null>;
}

const hashSecret = (secret: string, salt: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    scrypt(secret, salt, HASH_BYTES, SCRYPT, (error, hash) => (error ? reject(error) : resolve(hash))),
  );

const digest = (key: string): string => createHash('sha256').update(key).digest('base64');

export class ApiKeys implements ApiKeyVerifier {
  /** digest of a checked key → its key id. */
  private readonly checked = new Map<string, string>();
  private readonly checking = new Map<string, Promise<boolean>>();
  private readonly usedWritten = new Map<string, number>();

  constructor(
    private readonly repository: ApiKeyRepository,
    private readonly now: () => number = Date.now,
  ) {}

  /** Makes a key; the returned `key` is shown once and never stored. */
  create(name: string): { key_id: string; key: string } {
    let keyId = randomBytes(4).toString('hex');
    while (this.repository.get(keyId)) keyId = randomBytes(4).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const salt = randomBytes(16);
    const hash = scryptSync(secret, salt, HASH_BYTES, SCRYPT);
    this.repository.insert({ key_id: keyId, name, salt, hash, created_at: this.now() });
    return { key_id: keyId, key: `seam_${keyId}_${secret}` };
  }

  list(): ApiKeySummary[] {
    return this.repository.list().map(({ key_id, name, created_at, revoked_at, last_used_at }) => ({
      key_id,
      name,
      created_at,
      revoked_at,
      last_used_at,
    }));
  }

  /** Takes a key id or a whole key. False when there is no such key or it was revoked already. */
  revoke(idOrKey: string): boolean {
    const keyId = KEY_PATTERN.exec(idOrKey)?.[1] ?? idOrKey;
    return this.repository.revoke(keyId, this.now());
  }

  async verify(presented: string, options: { hash?: boolean } = {}): Promise<ApiKeyIdentity | null> {
    const match = KEY_PATTERN.exec(presented);
    if (!match) return null;
    const keyId = match[1]!;
    const secret = match[2]!;
    // Read on every request: a key revoked by `lockbridge api-key revoke` stops working at once.
    const record = this.repository.get(keyId);
    if (!record || record.revoked_at !== null) return null;
    const known = digest(presented);
    if (this.checked.get(known) !== keyId) {
      if (options.hash === false) return null;
      let check = this.checking.get(known);
      if (!check) {
        check = hashSecret(secret, record.salt)
          .then((hash) => hash.length === record.hash.length && timingSafeEqual(hash, record.hash))
          .finally(() => this.checking.delete(known));
        this.checking.set(known, check);
      }
      if (!(await check)) return null;
      this.remember(known, keyId);
    }
    this.noteUse(keyId);
    return { key_id: keyId, name: record.name };
  }

  private remember(known: string, keyId: string): void {
    if (this.checked.size >= MAX_REMEMBERED) {
      const oldest = this.checked.keys().next().value;
      if (oldest !== undefined) this.checked.delete(oldest);
    }
    this.checked.set(known, keyId);
  }

  private noteUse(keyId: string): void {
    const now = this.now();
    const last = this.usedWritten.get(keyId);
    if (last !== undefined && now - last < USED_WRITE_INTERVAL_MS) return;
    this.usedWritten.set(keyId, now);
    try {
      this.repository.markUsed(keyId, now);
    } catch {
      // A busy or full store must not refuse a good key; the time is written next time.
      this.usedWritten.delete(keyId);
    }
  }
}
