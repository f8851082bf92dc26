// What the device layer needs: the store to read, the write path, the clock, the log.
import type { Logger } from 'pino';
import type { Changes } from '../changes/changes.ts';
import type { Store } from '../store/store.ts';

export interface DevicesContext {
  store: Store;
  changes: Changes;
  log: Logger;
  now: () => number;
}
