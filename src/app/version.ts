// The version of lockbridge that runs: from the package.json above this file, whether it runs from
// a checkout (src/, through tsx) or installed (dist/ under /opt/lockbridge/app). npm sets
// npm_package_version only under npm scripts; systemd runs the program directly.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function lockbridgeVersion(): string {
  cached ??= findVersion(dirname(fileURLToPath(import.meta.url)));
  return cached;
}

function findVersion(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'lockbridge' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // not ours, or unreadable: keep looking upwards
      }
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
