// A simulated lock's slots on disk (`simulated.keep_slots`), so that they survive a restart of the
// daemon as a real lock's memory does. One JSON file a lock, written whole after each change
// (atomically: a temporary file renamed over it), 0600 in a 0700 directory: it holds PINs.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ModelSlot } from './lock-model.ts';

/** Occupied slots only, by slot number. */
export type SlotEntries = Array<[slot: number, contents: ModelSlot]>;

/** Where a lock's slots are kept under `dir` (the serial number names the file). */
export function slotFilePath(dir: string, serialNumber: string): string {
  return join(dir, `${serialNumber.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

/** The slots kept in `path`, or [] when there is no such file yet. */
export function readSlotFile(path: string): SlotEntries {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const parsed = JSON.parse(text) as { slots?: SlotEntries };
  if (!Array.isArray(parsed.slots)) throw new Error(`${path} holds no simulated lock slots`);
  return parsed.slots;
}

export function writeSlotFile(path: string, entries: SlotEntries): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, JSON.stringify({ slots: entries }), { mode: 0o600 });
  renameSync(temporary, path);
}
