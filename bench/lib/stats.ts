/** Small statistics and row helpers shared by the benchmarks (median and spread are in ../section.ts). */
import { median, spread, type BenchRow } from '../section.js';

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = Float64Array.from(xs).sort();
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

/**
 * A row from per-repetition figures: the median of ours against the median of the reference.
 * `better` says which way is good, for the goal test `goal(value, ratio)`.
 */
export function row(o: {
  metric: string;
  unit: string;
  ours: number[];
  ref?: { name: string; values: number[] };
  goal?: string;
  met?: (value: number, ratio: number | null) => boolean;
}): BenchRow {
  const value = median(o.ours);
  const refValue = o.ref ? median(o.ref.values) : null;
  const ratio = refValue !== null && refValue !== 0 ? value / refValue : null;
  return {
    metric: o.metric,
    value,
    unit: o.unit,
    spread: spread(o.ours),
    reference: o.ref && refValue !== null ? { name: `${o.ref.name} (spread ${(spread(o.ref.values) * 100).toFixed(0)}%)`, value: refValue } : null,
    ratio,
    ...(o.goal ? { goal: o.goal, met: o.met ? o.met(value, ratio) : undefined } : {}),
  };
}

export const fmt = (x: number, digits = 0): string =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(x);
