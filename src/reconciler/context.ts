// What the reconciler's parts share: the store, the clock, the policies, the log.
import type { Logger } from 'pino';
import type { ManagedCode } from '../core/access-code.ts';
import type { EventDraft } from '../core/events.ts';
import type { TimingPolicy } from '../core/lifecycle.ts';
import type { WindowPolicy } from '../core/time-window.ts';
import type { Store } from '../store/store.ts';
import type { RetainedState } from '../views/retained-state.ts';
import type { BackoffPolicy } from './backoff.ts';

export interface ReconcileContext {
  store: Store;
  retained: RetainedState;
  log: Logger;
  now: () => number;
  timing: TimingPolicy;
  backoff: BackoffPolicy;
  /** Read on every use: whether the clock is trusted can change while the bridge runs. */
  windowPolicy: () => WindowPolicy;
  random?: () => number;
}

/** Saves a code with the events of its transition and its retained state (inside a transaction). */
export function saveCode(ctx: ReconcileContext, code: ManagedCode, events: readonly EventDraft[]): void {
  const now = ctx.now();
  ctx.store.codes.save(code);
  for (const event of events) ctx.store.events.append(event, now);
  ctx.retained.code(code);
}

export function appendEvents(ctx: ReconcileContext, events: readonly EventDraft[]): void {
  const now = ctx.now();
  for (const event of events) ctx.store.events.append(event, now);
}
