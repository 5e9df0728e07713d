/**
 * Every benchmark (bench/*.bench.ts) at tiny sizes, one repetition, so that the scripts keep working as
 * the code under them changes. Nothing here looks at timings: a smoke run's figures mean nothing, and
 * this machine is shared. What must hold is the contract of bench/section.ts: a section with rows whose
 * figures are numbers, and a reference, where there is one, with a name and a value.
 */
import { describe, expect, it } from 'vitest';
import { discover, loadBench } from '../bench/run.js';

const benches = discover();

describe('benchmarks (smoke sizes)', () => {
  it('finds the benchmark scripts', () => {
    expect(benches.map((b) => b.id)).toEqual(expect.arrayContaining(['throughput', 'connections', 'queue-depth', 'scale-out', 'cluster', 'recordings', 'failover', 'end-to-end', 'trust']));
  });

  it.each(benches)('$id runs and returns a well-formed section', async ({ file }) => {
    const bench = await loadBench(file);
    const section = await bench({ smoke: true, reps: 1 });
    expect(section.id).toMatch(/^[a-z0-9-]+$/);
    expect(section.title.length).toBeGreaterThan(0);
    expect(section.command.length).toBeGreaterThan(0);
    expect(section.rows.length).toBeGreaterThan(0);
    for (const r of section.rows) {
      expect(r.metric.length).toBeGreaterThan(0);
      expect(typeof r.value).toBe('number');
      expect(Number.isNaN(r.value)).toBe(false);
      expect(typeof r.spread).toBe('number');
      if (r.reference) {
        expect(r.reference.name.length).toBeGreaterThan(0);
        expect(typeof r.reference.value).toBe('number');
      }
    }
  }, 120_000);
});
