// The earliest wall-clock time the bridge will believe. A Raspberry Pi has no real-time clock:
// it boots at 1970, or at whatever fake-hwclock saved at the last shutdown, until NTP corrects it.
// Acting on such a time would program a guest's code months early or keep an expired one on the
// lock, so time-bound codes wait until the clock is at least this floor.

/**
 * No correct clock can read earlier than the day this code was written: 2026-11-01 UTC, a few
 * weeks before the release it ships in (2026-11-23), so a build machine in any time zone is past it.
 * Bump it with each release; a stale value only makes the floor weaker, never wrong.
 */
export const BUILD_FLOOR_MS = Date.UTC(2026, 10, 1);

/**
 * How far behind the newest time the store has seen the clock may be and still count. NTP steps
 * a clock that ran fast back by seconds or minutes; refusing that clock would stall every window
 * for no reason, while a clock from before a reboot is usually hours or years behind.
 */
export const NEWEST_SEEN_SLACK_MS = 60_000;

/**
 * The floor the clock must reach to be trusted: the build date, raised by the newest time the
 * store has recorded (less a small slack for NTP's backward corrections). newestSeenMs is null
 * when the store has never recorded one; a value that is not a finite number is ignored.
 */
export function clockFloor(newestSeenMs: number | null, slackMs: number = NEWEST_SEEN_SLACK_MS): number {
  if (newestSeenMs === null || !Number.isFinite(newestSeenMs)) return BUILD_FLOOR_MS;
  return Math.max(BUILD_FLOOR_MS, newestSeenMs - Math.max(0, slackMs));
}
