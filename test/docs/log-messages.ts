// Every message the bridge logs at warn or error, read from the source: the literal message of
// each log.warn(...) / log.error(...) call in src/ and drivers/ (a message built at run time, such
// as the clock's, is not a literal and is documented by hand).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });

/** The text of the call starting at `open` (the index of its "("), up to its matching ")". */
function callText(source: string, open: number): string {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < source.length; i++) {
    const c = source[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return source.slice(open + 1, i);
  }
  return '';
}

export interface LogMessage {
  level: 'warn' | 'error';
  message: string;
  file: string;
}

export function warnAndErrorMessages(): LogMessage[] {
  const found: LogMessage[] = [];
  for (const file of [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'drivers'))]) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/\b(?:log|logger)\??\.(warn|error)\(/g)) {
      const args = callText(source, match.index + match[0].length - 1);
      const literal = /'((?:[^'\\]|\\.)+)'\s*,?\s*$/.exec(args);
      if (literal)
        found.push({ level: match[1] as 'warn' | 'error', message: literal[1]!, file: relative(ROOT, file) });
    }
  }
  return found;
}
