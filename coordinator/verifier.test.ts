import { describe, expect, it } from 'vitest';
import { auditTasks } from './verifier.js';

const MiB = 1 << 20;
const blocks = (n: number, bytes: number, ops: number) => Array.from({ length: n }, (_, i) => ({ i, bytes, ops }));
const sizes = (tasks: unknown[][]) => tasks.map((t) => t.length);

describe('an audit\'s blocks in thread tasks', () => {
  it('sends small blocks together: 32 key-search blocks of a 4,096-key unit are one task', () => {
    const tasks = auditTasks(blocks(32, 0, 128 * 542), (b) => b);
    expect(sizes(tasks)).toEqual([32]);
    expect(tasks.flat().map((b) => b.i)).toEqual([...Array(32).keys()]);
  });

  it('keeps to about 50 ms of work per task, so a failed block is not followed by the whole unit', () => {
    expect(sizes(auditTasks(blocks(5, 0, 2e8), (b) => b))).toEqual([2, 2, 1]);
    expect(sizes(auditTasks(blocks(3, 0, 3e8), (b) => b))).toEqual([1, 1, 1]);
    // A block over the limit alone is a task of its own, never split or dropped.
    expect(sizes(auditTasks([...blocks(1, 0, 1e6), ...blocks(1, 0, 5e9), ...blocks(2, 0, 1e6)], (b) => b))).toEqual([1, 1, 2]);
  });

  it('carries at most 16 MiB of a recording per task', () => {
    expect(sizes(auditTasks(blocks(9, 4 * MiB, 1e6), (b) => b))).toEqual([4, 4, 1]);
    expect(sizes(auditTasks(blocks(2, 40 * MiB, 1e6), (b) => b))).toEqual([1, 1]);
  });

  it('makes no task of no blocks', () => {
    expect(auditTasks([], () => ({ bytes: 0, ops: 0 }))).toEqual([]);
  });
});
