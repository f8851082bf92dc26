// The bridge's clock keeper: a step of the wall clock has every window evaluated again at once, and
// the newest trusted time is kept in the store as the next start's floor.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it, vi } from 'vitest';
import { ClockKeeper } from '../../src/clock/clock-keeper.ts';
import { Store } from '../../src/store/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'lockbridge-clock-'));
afterEach(() => {
  vi.useRealTimers();
});
afterEach(() => rmSync(join(dir, 'data'), { recursive: true, force: true }));

function keeper(store: Store, onRecheck: () => void) {
  return new ClockKeeper({
    store,
    log: pino({ level: 'silent' }),
    now: () => Date.now(),
    requireSync: false,
    leadMs: 0,
    onRecheck,
    syncProbe: async () => null,
  });
}

it('a clock step (NTP) triggers a re-check of every window at once', async () => {
  vi.useFakeTimers({ now: Date.parse('2026-12-01T10:00:00Z') });
  const store = Store.open(join(dir, 'data'), 'clock');
  let rechecks = 0;
  const k = keeper(store, () => rechecks++);
  await k.start();
  expect(k.status().trusted).toBe(true);
  await vi.advanceTimersByTimeAsync(3000);
  const before = rechecks;
  vi.setSystemTime(Date.parse('2026-12-01T13:00:00Z')); // stepped three hours forward
  await vi.advanceTimersByTimeAsync(1500);
  expect(rechecks).toBeGreaterThan(before);
  k.stop();
  store.close();
});

it('keeps the newest trusted time: a later start with the clock far behind it is not trusted', async () => {
  vi.useFakeTimers({ now: Date.parse('2027-03-01T10:00:00Z') });
  let store = Store.open(join(dir, 'data'), 'clock');
  let k = keeper(store, () => undefined);
  await k.start();
  k.stop();
  store.close();

  vi.setSystemTime(Date.parse('2027-01-01T10:00:00Z')); // a Pi rebooted with a stale clock
  store = Store.open(join(dir, 'data'), 'clock');
  k = keeper(store, () => undefined);
  await k.start();
  expect(k.status()).toMatchObject({ trusted: false, reason: 'clock_before_floor' });
  expect(k.policy().clock_trusted).toBe(false);
  k.stop();
  store.close();
});
