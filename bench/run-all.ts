// npm run bench: every bench:* script of package.json, one after the other (they measure the
// machine, so never two at once), each printing its own table; then how long each took. A bench
// that fails is reported and the others still run; the exit code says whether all passed.
//   npm run bench                     (BENCH_ONLY=footprint,sweep: some of them)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const { scripts } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  scripts: Record<string, string>;
};
const only = process.env.BENCH_ONLY?.split(',').map((name) => `bench:${name}`);
const names = Object.keys(scripts).filter(
  (name) => name.startsWith('bench:') && (only === undefined || only.includes(name)),
);

const results: Array<{ bench: string; 'time (s)': number; result: string }> = [];
const started = performance.now();
for (const name of names) {
  console.log(`\n=== npm run ${name}`);
  const start = performance.now();
  const run = spawnSync('npm', ['run', '--silent', name], { cwd: root, stdio: 'inherit' });
  results.push({
    bench: name,
    'time (s)': Math.round((performance.now() - start) / 100) / 10,
    result: run.status === 0 ? 'ok' : `failed (${run.status ?? run.signal})`,
  });
}
console.log(`\n${names.length} benchmarks in ${Math.round((performance.now() - started) / 1000)} s`);
console.table(results);
process.exit(results.every((r) => r.result === 'ok') ? 0 : 1);
