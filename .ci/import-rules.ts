// The layering rules of docs/architecture.md, checked over the import graph of src/ and drivers/:
// each layer imports only the layers below it, the pure core imports nothing at all (not even
// Node's modules), and no module imports itself through others (no cycles). Run by `npm run lint`;
// exits 1 and names every import that breaks a rule.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A layer and the layers it may import (itself always allowed). `*`: anything. */
const LAYERS: Record<string, readonly string[] | '*'> = {
  'src/core': [],
  'src/config': [],
  'src/log': [],
  'src/store': ['src/core'],
  'src/views': ['src/core'],
  'src/changes': ['src/core', 'src/store', 'src/views'],
  'src/clock': ['src/core', 'src/store'],
  drivers: ['src/core'],
  'src/devices': ['src/core', 'src/store', 'src/changes', 'drivers'],
  'src/reconciler': ['src/core', 'src/store', 'src/changes', 'src/clock', 'drivers'],
  'src/api': ['src/core', 'src/store', 'src/changes', 'src/views'],
  'src/auth': ['src/store'],
  'src/transports': ['src/core', 'src/store', 'src/api', 'src/auth'],
  'src/app': '*',
  'src/cli': '*',
};

/** Layers that must stay pure: no packages, no node: modules. */
const PURE = new Set(['src/core']);

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });

const layerOf = (file: string): string | null => {
  const rel = relative(ROOT, file);
  return Object.keys(LAYERS).find((layer) => rel === layer || rel.startsWith(`${layer}/`)) ?? null;
};

/** `import … from 'x'`, `export … from 'x'`, `import 'x'` and `import('x')`. */
const SPECIFIER = /\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
  return [...text.matchAll(SPECIFIER)].map((m) => (m[1] ?? m[2])!);
}

const problems: string[] = [];
const files = [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'drivers'))];
const graph = new Map<string, string[]>();

for (const file of files) {
  const layer = layerOf(file);
  const rel = relative(ROOT, file);
  if (layer === null) {
    problems.push(`${rel}: in no layer (add its folder to .ci/import-rules.ts)`);
    continue;
  }
  const allowed = LAYERS[layer]!;
  const edges: string[] = [];
  for (const specifier of importsOf(file)) {
    if (!specifier.startsWith('.')) {
      if (PURE.has(layer))
        problems.push(`${rel}: imports "${specifier}" (${layer} must stay pure: no I/O, no packages)`);
      continue;
    }
    const target = resolve(dirname(file), specifier);
    edges.push(target);
    const targetLayer = layerOf(target);
    if (targetLayer === null || targetLayer === layer || allowed === '*') continue;
    if (!allowed.includes(targetLayer)) {
      problems.push(
        `${rel}: imports ${relative(ROOT, target)} (${layer} may import ${allowed.join(', ') || 'nothing outside itself'})`,
      );
    }
  }
  graph.set(file, edges);
}

// Cycles: a depth-first search that reports each cycle once, by its path.
const state = new Map<string, 'open' | 'done'>();
const stack: string[] = [];
const visit = (file: string): void => {
  state.set(file, 'open');
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === 'open') {
      const cycle = [...stack.slice(stack.indexOf(next)), next].map((f) => relative(ROOT, f));
      problems.push(`import cycle: ${cycle.join(' → ')}`);
    } else if (!state.has(next)) {
      visit(next);
    }
  }
  stack.pop();
  state.set(file, 'done');
};
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (problems.length > 0) {
  console.error(`import rules: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`import rules: ${files.length} modules, every import follows the layers, no cycles`);
