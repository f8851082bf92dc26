// How long to wait before the next reconnect attempt.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000 };

/**
 * Doubles from `initialMs` per failed attempt (0-based) up to `maxMs`, spread by ±20 % so that
 * many gateways that lost the same broker do not all knock again in the same second.
 */
export function reconnectDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponential = options.initialMs * 2 ** Math.min(attempt, 30);
  const jittered = Math.min(exponential, options.maxMs) * (0.8 + 0.4 * random());
  return Math.max(1, Math.round(Math.min(jittered, options.maxMs)));
}
