// Who is calling: the API key in `Authorization: Bearer seam_…` (Seam's SDKs send it so), checked
// against the store's hashes. An address that keeps sending wrong keys gets no new key checked for
// a minute (each check costs a scrypt), and that is logged once; keys already good still pass.
import type { Logger } from 'pino';
import type { ApiKeyVerifier } from '../../auth/api-keys.ts';
import { RateLimiter } from './rate-limit.ts';

export type AuthResult =
  | { ok: true; caller: string }
  | { ok: false; type: 'unauthorized' | 'rate_limited'; message: string; retryAfterS?: number };

/** Wrong keys an address may send a minute (with a burst of as many) before it is refused. */
const FAILURES_PER_MINUTE = 10;

export class HttpAuth {
  private readonly failures: RateLimiter;
  private readonly lockedOut = new Set<string>();

  /** keys null: authentication is off (only allowed on a loopback address). */
  constructor(
    private readonly keys: ApiKeyVerifier | null,
    private readonly log: Logger,
    now: () => number = Date.now,
  ) {
    this.failures = new RateLimiter(FAILURES_PER_MINUTE, FAILURES_PER_MINUTE, now);
  }

  async check(authorization: string | undefined, address: string): Promise<AuthResult> {
    if (this.keys === null) return { ok: true, caller: `address:${address}` };
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) {
      return {
        ok: false,
        type: 'unauthorized',
        message:
          'An API key is required: send "Authorization: Bearer seam_…" (lockbridge api-key create makes one).',
      };
    }
    // An address sending wrong keys gets no more scrypt checks for a while; keys that already
    // passed in this process still do (a console and a prober may share an address).
    const lockedOut = this.failures.exhausted(address);
    if (!lockedOut) this.lockedOut.delete(address);
    const identity = await this.keys.verify(token, { hash: !lockedOut });
    if (identity) return { ok: true, caller: `key:${identity.key_id}` };
    if (lockedOut) {
      return {
        ok: false,
        type: 'rate_limited',
        message: 'Too many requests with a wrong API key from this address; try again in a minute.',
        retryAfterS: 60,
      };
    }
    this.failures.take(address);
    if (this.lockedOut.size > 10_000) this.lockedOut.clear(); // bounded; at worst a second log line
    if (this.failures.exhausted(address) && !this.lockedOut.has(address)) {
      this.lockedOut.add(address);
      this.log.warn({ address }, 'wrong API keys from this address: refusing new keys from it for a minute');
    }
    return {
      ok: false,
      type: 'unauthorized',
      message: 'The API key is not valid (unknown, revoked or wrong).',
    };
  }
}
