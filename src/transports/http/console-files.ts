// The web console's files, read once at start and served from memory: the page, its script and
// style (./console/), and the UI library's ES modules straight from their npm packages (preact,
// its hooks, htm). No build step and no CDN: the browser loads what is here, through an import map.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  /** Extra headers (the page's Content-Security-Policy). */
  headers: Record<string, string>;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

const CONSOLE_DIR = fileURLToPath(new URL('./console/', import.meta.url));
const CONSOLE_FILES = ['app.js', 'views.js', 'words.js', 'api.js', 'style.css', 'icon.svg'];

function vendorFiles(): Array<[string, string]> {
  const require = createRequire(import.meta.url);
  return [
    ['preact.mjs', require.resolve('preact')],
    ['hooks.mjs', require.resolve('preact/hooks')],
    // htm's CommonJS entry sits beside its ES module.
    ['htm.mjs', join(dirname(require.resolve('htm')), 'htm.module.js')],
  ];
}

const IMPORT_MAP = JSON.stringify({
  imports: {
    preact: '/console/vendor/preact.mjs',
    'preact/hooks': '/console/vendor/hooks.mjs',
    htm: '/console/vendor/htm.mjs',
  },
});

function file(body: Buffer, name: string, headers: Record<string, string> = {}): StaticFile {
  const type = TYPES[name.split('.').at(-1) ?? ''] ?? 'application/octet-stream';
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, type, etag, headers };
}

/** URL path → file. Throws when a file is missing (a broken install, seen at start). */
export function loadConsoleFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  // The import map is inline (browsers load no external one); the policy allows exactly it.
  const importMap = `<script type="importmap">${IMPORT_MAP}</script>`;
  const mapHash = createHash('sha256').update(IMPORT_MAP).digest('base64');
  const page = readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8').replace(
    '<!-- import map -->',
    importMap,
  );
  const policy = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${mapHash}'`,
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  files.set('/', file(Buffer.from(page), 'index.html', { 'Content-Security-Policy': policy }));
  for (const name of CONSOLE_FILES) {
    files.set(`/console/${name}`, file(readFileSync(join(CONSOLE_DIR, name)), name));
  }
  for (const [name, path] of vendorFiles()) {
    files.set(`/console/vendor/${name}`, file(readFileSync(path), name));
  }
  return files;
}
