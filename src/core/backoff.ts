// Exponential backoff with jitter: for a lock that did not answer and for a broker that is away.
// Pure; the callers keep their own attempt counts.

export interface BackoffPolicy {
  base_ms: number;
  max_ms: number;
}

/**
 * The wait before retry number `failures` (1 = the first retry): base·2^(n-1), spread by ±20 % so
 * that many locks (or gateways) failing together do not retry together, and never past max_ms.
 */
export function backoffDelay(
  failures: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponential = policy.base_ms * 2 ** Math.min(Math.max(failures - 1, 0), 30);
  const jittered = Math.min(exponential, policy.max_ms) * (0.8 + 0.4 * random());
  return Math.max(1, Math.round(Math.min(jittered, policy.max_ms)));
}
