/**
 * What every benchmark script returns. bench/run.ts runs each one, prints its table and writes all of
 * them to docs/benchmarks.md. Every figure is a ratio against a reference measured in the same run.
 */
export interface BenchRow {
  /** What was measured, e.g. "rc5-32/12/9 keys/s per thread". */
  metric: string;
  /** Our median over the repetitions, in `unit`. */
  value: number;
  unit: string;
  /** (max - min) / median over the repetitions, as a fraction. */
  spread: number;
  /** The reference measured in the same run, or null where the figure is absolute (a latency, a size). */
  reference: { name: string; value: number } | null;
  /** value / reference.value (or the goal's own ratio); null where there is no reference. */
  ratio: number | null;
  /** The goal in words, e.g. ">= scalar C", and whether this run met it. */
  goal?: string;
  met?: boolean;
}

export interface BenchSection {
  id: string;
  title: string;
  /** The command that reproduces this section alone. */
  command: string;
  rows: BenchRow[];
  notes?: string[];
}

export interface BenchOptions {
  /** Tiny sizes: the test suite runs every benchmark this way so the scripts keep working. */
  smoke: boolean;
  /** Repetitions (at least 3 for real runs). */
  reps: number;
}

export type Bench = (opts: BenchOptions) => Promise<BenchSection>;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function spread(xs: number[]): number {
  const m = median(xs);
  return m === 0 ? 0 : (Math.max(...xs) - Math.min(...xs)) / m;
}
