// The slots a lock has read or written since the start, as a bitmap.
import { expect, it } from 'vitest';
import { SlotSet } from '../../src/reconciler/slot-set.ts';

it('holds exactly the slots added, growing to the highest one', () => {
  const set = new SlotSet();
  expect(set.has(1)).toBe(false);
  for (const slot of [1, 7, 8, 9, 250, 65535]) set.add(slot);
  for (const slot of [1, 7, 8, 9, 250, 65535]) expect(set.has(slot)).toBe(true);
  for (const slot of [0, 2, 6, 10, 249, 251, 65534, 70000]) expect(set.has(slot)).toBe(false);
  set.add(7); // again: no change
  expect(set.has(7)).toBe(true);
});
