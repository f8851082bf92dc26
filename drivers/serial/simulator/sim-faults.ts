// The misbehaviour a test queues for a lockwire simulator: the simulated driver's knobs (refusals,
// lost replies, slowness, unreachability) plus what only a wire has (line noise, corrupted frames,
// lost ACKs of events).
import type { NakError } from '../lockwire/messages.ts';

export class SimFaults {
  /** Answers nothing at all, as a lock out of reach or hung. */
  silent = false;
  /** Sends a burst of garbage before every frame. */
  noisy = false;
  /** Extra delay before each answer, ms. */
  delayMs = 0;
  /**
   * Firmware that ignores the payload limit: a READ_SLOTS of more than this many slots is answered
   * with one SLOTS frame past 245 bytes (every record asked for, padded if they would fit), which a
   * receiver drops. 0: every READ_SLOTS; null: none.
   */
  oversizeSlotsAbove: number | null = null;
  /** Firmware without READ_SLOTS: it is never answered (READ_SLOT still is). */
  ignoreReadSlots = false;
  private lost = 0;
  private corrupted = 0;
  private ignoredAcks = 0;
  private readonly refusals: NakError[] = [];

  /** The next `count` requests are carried out but their responses are lost. */
  loseResponses(count = 1): void {
    this.lost += count;
  }

  /** The next `count` frames the lock sends arrive with a flipped byte. */
  corruptFrames(count = 1): void {
    this.corrupted += count;
  }

  /** The next `count` ACKs of events never reach the lock, so it re-sends the event. */
  ignoreAcks(count = 1): void {
    this.ignoredAcks += count;
  }

  /** The next `count` WRITE_SLOT / CLEAR_SLOT requests are refused with `error`, untouched. */
  refuse(error: NakError, count = 1): void {
    for (let i = 0; i < count; i++) this.refusals.push(error);
  }

  takeLost(): boolean {
    return this.take('lost');
  }

  takeCorrupted(): boolean {
    return this.take('corrupted');
  }

  takeIgnoredAck(): boolean {
    return this.take('ignoredAcks');
  }

  takeRefusal(): NakError | null {
    return this.refusals.shift() ?? null;
  }

  private take(counter: 'lost' | 'corrupted' | 'ignoredAcks'): boolean {
    if (this[counter] === 0) return false;
    this[counter]--;
    return true;
  }
}
