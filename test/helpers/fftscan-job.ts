/**
 * A signal-scan job computed in-process as coordinator and hosts would: plan, every unit with its own
 * input slice (`bytes` is the whole stored recording, when there is one), the real kernel in small
 * slices, then the answer. It yields to the event loop between slices, as a worker thread does between
 * its own, so a long job never keeps the test runner from answering its own messages.
 */
import type { Kernel } from '../../workunits/kind.js';
import kernelDefault from '../../workunits/fftscan/kernel.js';
import fftscan from '../../workunits/fftscan/kind.js';
import type { Result, UnitSpec } from '../../workunits/fftscan/params.js';

const kernel = kernelDefault as Kernel<UnitSpec, unknown, Result>;

/** Lets the event loop run (timers, the test runner's messages). */
export const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runFftscanJob(params: unknown, bytes?: Uint8Array, budget = 64) {
  const p = fftscan.params.parse(params);
  const plan = fftscan.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  const results: Array<{ index: number; result: Result }> = [];
  for (let i = 0; i < plan.value.unitsTotal; i++) {
    const u = fftscan.unit(p, plan.value, i);
    const ref = fftscan.input!(p, u);
    const s = kernel.init(u, ref && bytes ? bytes.subarray(ref.offset, ref.offset + ref.length) : undefined);
    while (!kernel.step(s, budget)) await yieldNow();
    const r = kernel.result(s);
    if (!fftscan.result.safeParse(r).success || !fftscan.check!(u, r)) throw new Error(`unit ${i}: the result fails its schema or check`);
    results.push({ index: i, result: r });
  }
  return { p, plan: plan.value, results, answer: fftscan.assemble(p, plan.value, results, []) };
}
