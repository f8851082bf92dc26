// What the benchmarks share to time things: the median, and a synchronous run timed several times.

/** The middle sample (the upper one of an even count). */
export const median = (samples: readonly number[]): number =>
  [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

/** Wall time of `run` in milliseconds, the median of `runs` runs. */
export function timeRuns(run: () => void, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}
