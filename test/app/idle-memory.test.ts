// The idle collection's decisions, on a scripted event loop: when it collects, and when not.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { IdleMemory } from '../../src/app/idle-memory.ts';

const MiB = 1024 * 1024;

function scripted() {
  const state = { busy: 0, rss: 80 * MiB, collections: 0, lines: [] as unknown[] };
  const idle = new IdleMemory({
    checkMs: 5000,
    idleMs: 30_000,
    burstIdleMs: 10_000,
    burstGrowth: 128 * MiB,
    idleBelow: 0.02,
    minGrowth: 4 * MiB,
    utilization: () => state.busy,
    rss: () => state.rss,
    collect: () => {
      state.collections++;
      state.rss -= 10 * MiB; // what the collection gave back
    },
    log: { debug: (...line: unknown[]) => state.lines.push(line) },
  });
  const checks = (n: number) => {
    for (let i = 0; i < n; i++) idle.check();
  };
  /** A busy spell of `n` samples that grew resident memory by `grew` bytes; idle after it. */
  const busySpell = (n: number, grew: number) => {
    state.busy = 0.9;
    state.rss += grew;
    checks(n);
    state.busy = 0;
  };
  return { state, checks, busySpell };
}

describe('IdleMemory', () => {
  it('collects once the loop has been idle for idleMs, once', () => {
    const { state, checks } = scripted();
    checks(5); // 25 s idle
    expect(state.collections).toBe(0);
    checks(1); // 30 s
    expect(state.collections).toBe(1);
    expect(state.lines).toEqual([
      [{ rss_before_mib: 80, rss_after_mib: 70, took_ms: expect.any(Number) }, 'idle: memory given back'],
    ]);
    checks(100); // idle for ever after: nothing grew, nothing to give back
    expect(state.collections).toBe(1);
  });

  it('never while busy: a busy sample starts the idle spell again', () => {
    const { state, checks } = scripted();
    for (let i = 0; i < 20; i++) {
      checks(5);
      state.busy = 0.3;
      checks(1);
      state.busy = 0;
    }
    expect(state.collections).toBe(0);
  });

  it('again after a busy spell that grew memory, not after one that did not', () => {
    const { state, checks, busySpell } = scripted();
    checks(6);
    expect(state.collections).toBe(1);
    busySpell(3, 0); // busy, memory as it was
    checks(6);
    expect(state.collections).toBe(1);
    busySpell(3, 6 * MiB); // busy, and the heap grew
    checks(5);
    expect(state.collections).toBe(1);
    checks(1);
    expect(state.collections).toBe(2);
  });
});

describe('IdleMemory after a burst', () => {
  it('collects after burstIdleMs once memory grew by burstGrowth, after idleMs otherwise', () => {
    const { state, checks, busySpell } = scripted();
    checks(6); // the first collection: 80 MiB grown from nothing, under the burst's 128
    expect(state.collections).toBe(1);
    busySpell(2, 150 * MiB); // a start, a bulk import
    checks(1); // 5 s idle
    expect(state.collections).toBe(1);
    checks(1); // 10 s
    expect(state.collections).toBe(2);
    busySpell(2, 20 * MiB); // a smaller burst: the long wait again
    checks(5);
    expect(state.collections).toBe(2);
    checks(1);
    expect(state.collections).toBe(3);
  });
});

describe('idleMemoryForProcess', () => {
  it('is off without --expose-gc', async () => {
    const { idleMemoryForProcess } = await import('../../src/app/idle-memory.ts');
    expect('gc' in globalThis).toBe(false); // vitest's workers run without it
    expect(idleMemoryForProcess({ debug: () => undefined })).toBeNull();
  });

  it("with --expose-gc, collects through V8's own gc once the loop idles", () => {
    // A Node of its own: --expose-gc is a process flag. Short timings; the collection is real.
    const script = `
      import { idleMemoryForProcess } from ${JSON.stringify(new URL('../../src/app/idle-memory.ts', import.meta.url).pathname)};
      const lines = [];
      // V8's own gc, watched: what it is asked, and that it takes the options without throwing.
      const gc = globalThis.gc;
      const asked = [];
      globalThis.gc = (options) => { gc(options); asked.push(options); };
      const idle = idleMemoryForProcess({ debug: (fields, msg) => lines.push([fields, msg]) }, { checkMs: 20, idleMs: 60 });
      // Garbage, with nothing allocating afterwards: only the idle collection can take it.
      let garbage = Array.from({ length: 300000 }, (_, i) => ({ i, s: 'x' + i }));
      garbage = null;
      const before = process.memoryUsage().heapUsed;
      idle.start();
      // Until the collection came (a loaded machine may take a few busy samples first), then a
      // while more, in which nothing grew and so nothing more is collected.
      const began = Date.now();
      const waiting = setInterval(() => {
        if (asked.length === 0 && Date.now() - began < 10000) return;
        clearInterval(waiting);
        setTimeout(() => {
          idle.stop();
          const freed = (before - process.memoryUsage().heapUsed) / 1048576;
          console.log(JSON.stringify({ lines, freed, asked }));
        }, 200);
      }, 20);
    `;
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
      },
    );
    const { lines, freed, asked } = JSON.parse(out) as {
      lines: Array<[Record<string, number>, string]>;
      freed: number;
      asked: unknown[];
    };
    expect(asked).toEqual([{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
    expect(freed).toBeGreaterThan(5); // MiB: the garbage is gone
    expect(lines.length).toBe(1); // once: nothing grew after it
    expect(lines[0]![1]).toBe('idle: memory given back');
    expect(lines[0]![0].took_ms).toBeGreaterThanOrEqual(0);
  });
});
