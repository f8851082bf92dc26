// Radio economy: commands sent to the locks ÷ commands needed, for a mixed batch on simulated locks
// that take 50 ms a command, so that work piles up behind a busy lock. Commands are counted where
// they leave the bridge: a counting wrapper around each lock's handle (writeSlot, clearSlot), each
// command put down to the case whose code it writes (by PIN) or clears (by what the slot held).
//   npm run bench:radio
// The cases, all sent at once through the API (the whole bridge, store on disk):
//   creates        20 new codes (12 on the busy lock, 8 on another): 20 writes needed
//   deletes        10 codes that are set, deleted: 10 clears
//   updates        10 codes that are set, each given a new PIN: 10 writes
//   five updates   a set code on the busy lock given 5 PINs in a row while the lock works through
//                  the creates: only the last PIN needs writing, 1 write
//   create+delete  a code created on the busy lock and deleted before its turn came: nothing
// 1.00 is a bridge that sends nothing twice and nothing that was overtaken before it could go.
import type { TimeWindow } from '../src/core/access-code.ts';
import { eventually } from '../test/helpers/api-client.ts';
import { Harness, simulatedDriver } from '../test/helpers/bridge-harness.ts';

const LATENCY_MS = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Case = 'creates' | 'deletes' | 'updates' | 'five updates' | 'create+delete';
const NEEDED: Record<Case, number> = {
  creates: 20,
  deletes: 10,
  updates: 10,
  'five updates': 1,
  'create+delete': 0,
};

// Locks: 0 is the busy one; 1 holds the codes to delete, 2 those to update, 3 takes creates too.
const driver = simulatedDriver(
  ['Busy', 'Deletes', 'Updates', 'Creates'].map((name, i) => ({
    name,
    latency_ms: LATENCY_MS,
    options: { slots: 30, serial_number: `RADIO-${i + 1}` },
  })),
);
const h = new Harness(driver, { logLevel: 'warn' });
await h.startOnline();
const store = h.bridge.store;
const device = (lock: number) => h.deviceId(lock);

let nextPin = 100_000;
/** Which case each PIN belongs to: every PIN is used once. */
const caseOfPin = new Map<string, Case>();
const pin = (c: Case): string => {
  const code = String(nextPin++ * 7);
  caseOfPin.set(code, c);
  return code;
};
const create = async (lock: number, c: Case): Promise<string> => {
  const answer = await h.call('access_codes/create', { device_id: device(lock), code: pin(c) });
  if (!answer.ok) throw new Error(`create refused: ${JSON.stringify(answer.error)}`);
  return answer.access_code.access_code_id as string;
};
const call = async (route: string, params: Record<string, unknown>) => {
  const answer = await h.call(route, params);
  if (!answer.ok) throw new Error(`${route} refused: ${JSON.stringify(answer.error)}`);
};
const settled = () =>
  eventually(
    () =>
      store.health.codeCounts().awaiting_removal === 0 &&
      driver.locks.every((_, i) => store.codes.liveForDevice(device(i)).every((c) => c.status === 'set')),
    60_000,
    'every code set and every deleted code cleared',
  );

// ---- the locks as the batch finds them: codes set, nothing counted yet ----
const fiveUpdates = await create(0, 'five updates');
const toDelete = await Promise.all(Array.from({ length: 10 }, () => create(1, 'deletes')));
const toUpdate = await Promise.all(Array.from({ length: 10 }, () => create(2, 'updates')));
await settled();

// ---- the counting wrapper: every command a lock is sent, put down to a case ----
const sent = new Map<Case | 'unknown', number>();
const count = (c: Case | 'unknown') => sent.set(c, (sent.get(c) ?? 0) + 1);
driver.locks.forEach((lock) => {
  /** The case of the code each slot holds (or is being written), from what the lock holds now. */
  const holder = new Map<number, Case>();
  for (let slot = 1; slot <= lock.model.options.slots; slot++) {
    const code = lock.model.read(slot).code;
    const c = code === null ? undefined : caseOfPin.get(code);
    if (c) holder.set(slot, c);
  }
  const writeSlot = lock.writeSlot.bind(lock);
  const clearSlot = lock.clearSlot.bind(lock);
  lock.writeSlot = (slot: number, code: string, schedule: TimeWindow | null) => {
    const c = caseOfPin.get(code) ?? 'unknown';
    count(c);
    if (c !== 'unknown') holder.set(slot, c);
    return writeSlot(slot, code, schedule);
  };
  lock.clearSlot = (slot: number) => {
    count(holder.get(slot) ?? 'unknown');
    return clearSlot(slot);
  };
});

// ---- the mixed batch ----
const start = performance.now();
const batch = Promise.all([
  ...Array.from({ length: 20 }, (_, i) => create(i < 12 ? 0 : 3, 'creates')),
  ...toDelete.map((access_code_id) => call('access_codes/delete', { access_code_id })),
  ...toUpdate.map((access_code_id) => call('access_codes/update', { access_code_id, code: pin('updates') })),
]);
await batch;
// The busy lock has 12 writes (600 ms) ahead of what follows.
const doomed = await create(0, 'create+delete');
for (let i = 0; i < 5; i++) {
  await call('access_codes/update', { access_code_id: fiveUpdates, code: pin('five updates') });
  await sleep(30);
}
await call('access_codes/delete', { access_code_id: doomed });
await settled();
const ms = performance.now() - start;

// What the locks hold is what the store says: every live PIN in its lock, nothing else of ours.
driver.locks.forEach((lock, i) => {
  const live = new Set(store.codes.liveForDevice(device(i)).map((c) => c.code));
  const held = new Set<string>();
  for (let slot = 1; slot <= lock.model.options.slots; slot++) {
    const code = lock.model.read(slot).code;
    if (code !== null) held.add(code);
  }
  if (live.size !== held.size || [...live].some((code) => !held.has(code))) {
    throw new Error(`lock ${lock.name} does not hold exactly its live codes`);
  }
});
await h.stop();
h.cleanup();

const cases = Object.keys(NEEDED) as Case[];
const rows = cases.map((c) => ({ needed: NEEDED[c], sent: sent.get(c) ?? 0, case: c }));
const unknown = sent.get('unknown') ?? 0;
const ratio = (s: number, n: number) => (n === 0 ? (s === 0 ? '1.00' : `+${s}`) : (s / n).toFixed(2));
const needed = rows.reduce((n, r) => n + r.needed, 0);
const total = rows.reduce((n, r) => n + r.sent, 0) + unknown;
console.log(
  `radio economy: ${driver.locks.length} simulated locks, ${LATENCY_MS} ms a command; ` +
    `${Math.round(ms)} ms until every lock was in step; node ${process.version}`,
);
console.table([
  ...rows.map((r) => ({
    case: r.case,
    needed: r.needed,
    sent: r.sent,
    'sent ÷ needed': ratio(r.sent, r.needed),
  })),
  ...(unknown > 0
    ? [{ case: 'commands of no case', needed: 0, sent: unknown, 'sent ÷ needed': `+${unknown}` }]
    : []),
  { case: 'total', needed, sent: total, 'sent ÷ needed': ratio(total, needed) },
]);
