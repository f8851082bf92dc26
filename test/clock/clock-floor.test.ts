import { describe, expect, it } from 'vitest';
import { BUILD_FLOOR_MS, clockFloor, NEWEST_SEEN_SLACK_MS } from '../../src/clock/clock-floor.ts';

describe('clockFloor', () => {
  it('is the build date when the store has never recorded a time', () => {
    expect(clockFloor(null)).toBe(BUILD_FLOOR_MS);
  });

  it('the build date is a real recent date, not the epoch, and not after the release date', () => {
    expect(BUILD_FLOOR_MS).toBeGreaterThanOrEqual(Date.UTC(2026, 0, 1));
    expect(BUILD_FLOOR_MS).toBeLessThanOrEqual(Date.UTC(2026, 10, 23));
  });

  it('is raised by the newest time the store has seen, less the slack', () => {
    const newest = Date.UTC(2027, 5, 1, 12);
    expect(clockFloor(newest)).toBe(newest - NEWEST_SEEN_SLACK_MS);
    expect(clockFloor(newest, 0)).toBe(newest);
  });

  it('never drops below the build date for an old newest-seen time', () => {
    expect(clockFloor(0)).toBe(BUILD_FLOOR_MS);
    expect(clockFloor(BUILD_FLOOR_MS + 10, 1_000)).toBe(BUILD_FLOOR_MS);
  });

  it('ignores a newest-seen value that is not a number, and a negative slack', () => {
    expect(clockFloor(Number.NaN)).toBe(BUILD_FLOOR_MS);
    expect(clockFloor(Number.POSITIVE_INFINITY)).toBe(BUILD_FLOOR_MS);
    const newest = BUILD_FLOOR_MS + 86_400_000;
    expect(clockFloor(newest, -5_000)).toBe(newest);
  });
});
