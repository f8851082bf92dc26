// What the routes need: the store and the parts that act on locks after a commit.
import type { Logger } from 'pino';
import type { WindowPolicy } from '../core/time-window.ts';
import type { LockRegistry } from '../devices/lock-registry.ts';
import type { Reconciler } from '../reconciler/reconciler.ts';
import type { Store } from '../store/store.ts';
import type { RetainedState } from '../views/retained-state.ts';

export interface ApiContext {
  store: Store;
  reconciler: Reconciler;
  registry: LockRegistry;
  retained: RetainedState;
  log: Logger;
  now: () => number;
  includeCodes: boolean;
  windowPolicy: () => WindowPolicy;
  randomInt: (maxExclusive: number) => number;
}
