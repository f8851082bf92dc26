// Config files in a temp dir per test, removed afterwards.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { ConfigError } from '../../src/config/load.ts';

export const MINIMAL = [
  'gateway_id: hub-1',
  'data_dir: /var/lib/lockbridge',
  'mqtt:',
  '  url: mqtt://127.0.0.1:1883',
];

/** A temp dir for this test; writeConfig() puts files in it. */
export function useTempDir(): { dir: () => string; write: (name: string, text: string) => string } {
  let current: string | undefined;
  afterEach(() => {
    if (current) rmSync(current, { recursive: true, force: true });
    current = undefined;
  });
  const dir = () => {
    current ??= mkdtempSync(join(tmpdir(), 'lockbridge-config-'));
    return current;
  };
  return {
    dir,
    write: (name, text) => {
      const file = join(dir(), name);
      writeFileSync(file, text);
      return file;
    },
  };
}

/** The problems a failing call reports (fails the test when it does not throw ConfigError). */
export function problemsOf(call: () => unknown): string[] {
  try {
    call();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}
