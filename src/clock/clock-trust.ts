// Whether time-bound codes may be programmed or expired on the strength of the wall clock now.

/** Why the clock is not trusted; null when it is. Stable codes for bridge/info and the log. */
export type ClockDistrustReason =
  | 'clock_not_evaluated'
  | 'clock_before_floor'
  | 'clock_not_synchronised'
  | 'clock_sync_unknown';

export interface ClockStatus {
  trusted: boolean;
  reason: ClockDistrustReason | null;
  /** The wall-clock time the verdict is about (ms since the epoch). */
  now: number;
  /** The floor it was compared with (ms since the epoch). */
  floor: number;
  /** What the system said about NTP synchronisation; null when nothing could tell. */
  synchronised: boolean | null;
}

export interface ClockTrustOptions {
  /** timing.require_clock_sync: also wait for the system to report the clock synchronised. */
  requireSync: boolean;
  /** The current floor, e.g. () => clockFloor(newest time the store has seen). */
  floorMs: () => number;
  /** e.g. () => kernelClockSynchronised(); a rejection counts as "can't tell". */
  syncProbe: () => Promise<boolean | null>;
  now: () => number;
  /** Called after an evaluation whose verdict (trusted, reason) differs from the one before. */
  onChange?: (status: ClockStatus, previous: ClockStatus) => void;
}

export class ClockTrust {
  private readonly options: ClockTrustOptions;
  private last: ClockStatus;
  private evaluations = 0;

  constructor(options: ClockTrustOptions) {
    this.options = options;
    this.last = {
      trusted: false,
      reason: 'clock_not_evaluated',
      now: options.now(),
      floor: options.floorMs(),
      synchronised: null,
    };
  }

  /** Probes synchronisation and judges the clock. The sync probe runs even when not required, for bridge/info. */
  async evaluate(): Promise<ClockStatus> {
    const sequence = ++this.evaluations;
    const synchronised = await this.options.syncProbe().catch(() => null);
    const status = judge(this.options.now(), this.options.floorMs(), synchronised, this.options.requireSync);
    // Two overlapping evaluations: the one started last has the newer facts, keep it.
    if (sequence === this.evaluations) this.record(status);
    return status;
  }

  /** The verdict of the last evaluation (untrusted, clock_not_evaluated, before the first). */
  current(): ClockStatus {
    return this.last;
  }

  private record(status: ClockStatus): void {
    const previous = this.last;
    this.last = status;
    if (previous.trusted !== status.trusted || previous.reason !== status.reason) {
      this.options.onChange?.(status, previous);
    }
  }
}

function judge(now: number, floor: number, synchronised: boolean | null, requireSync: boolean): ClockStatus {
  const status = { now, floor, synchronised };
  if (!Number.isFinite(now) || now < floor)
    return { ...status, trusted: false, reason: 'clock_before_floor' };
  if (requireSync && synchronised === false)
    return { ...status, trusted: false, reason: 'clock_not_synchronised' };
  if (requireSync && synchronised === null)
    return { ...status, trusted: false, reason: 'clock_sync_unknown' };
  return { ...status, trusted: true, reason: null };
}

/** One line for the log: what the bridge does with time-bound codes and why. */
export function describeClockStatus(status: ClockStatus): string {
  const now = isoOrRaw(status.now);
  switch (status.reason) {
    case null:
      return `clock trusted (${now})`;
    case 'clock_not_evaluated':
      return 'clock not yet checked: time-bound codes wait';
    case 'clock_before_floor':
      return `clock reads ${now}, earlier than ${isoOrRaw(status.floor)}: time-bound codes are neither programmed nor expired until it is corrected`;
    case 'clock_not_synchronised':
      return `clock not synchronised (timing.require_clock_sync): time-bound codes are neither programmed nor expired until NTP synchronises it`;
    case 'clock_sync_unknown':
      return `cannot tell whether the clock is synchronised (timing.require_clock_sync): time-bound codes wait`;
  }
}

function isoOrRaw(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
