// Zigbee local time: seconds since 2000-01-01 00:00:00 on the lock's wall clock. The coordinator
// serves the lock UTC, the time zone and daylight saving (herdsman answers genTime reads from this
// machine's zone), and the lock's local time is UTC plus the offset in force. Year-day schedules are
// in that local time, so an instant becomes the wall-clock reading it will have here at that instant.
import type { TimeWindow } from '../../src/core/access-code.ts';

const ZIGBEE_EPOCH_MS = Date.UTC(2000, 0, 1);
const MAX_UINT32 = 0xffffffff;

/** This machine's UTC offset at `ms`, in milliseconds (what the lock will add at that instant). */
const offsetAt = (ms: number): number => -new Date(ms).getTimezoneOffset() * 60_000;

/** Zigbee local milliseconds (not yet whole seconds) of an instant. */
const localMs = (ms: number): number => ms + offsetAt(ms) - ZIGBEE_EPOCH_MS;

/** The instant whose local wall-clock reading is `seconds` (Zigbee local time). */
export function fromZigbeeLocal(seconds: number): number {
  const wall = seconds * 1000 + ZIGBEE_EPOCH_MS;
  // Two steps find the offset in force at the instant itself, across a daylight-saving change.
  const guess = wall - offsetAt(wall);
  return wall - offsetAt(guess);
}

/** A window in Zigbee local seconds, the start rounded down and the end up; null when it does not fit. */
export function zigbeeWindow(window: TimeWindow): { start: number; end: number } | null {
  const start = Math.floor(localMs(window.starts_at) / 1000);
  const end = Math.ceil(localMs(window.ends_at) / 1000);
  if (start < 0 || end > MAX_UINT32 || !(start < end)) return null;
  return { start, end };
}

/** The window as the lock will keep it: what reading it back gives (identity when it does not fit). */
export function lockWindow(window: TimeWindow): TimeWindow {
  const local = zigbeeWindow(window);
  if (local === null) return window;
  return { starts_at: fromZigbeeLocal(local.start), ends_at: fromZigbeeLocal(local.end) };
}
