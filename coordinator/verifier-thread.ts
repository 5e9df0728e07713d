/**
 * A verifier thread (piscina): computes units, or audit blocks of one unit, each to the end with the
 * kind's own kernel, as a volunteer's thread would. The kernels are WebAssembly, so the bits are the
 * host's bits. The thread runs at normal priority: the coordinator waits on it to validate.
 *
 * One task carries several blocks: a task is a round trip through the coordinator's event loop, which a
 * busy coordinator answers late, so an audit of 32 small blocks sent one at a time spent most of its time
 * waiting there rather than computing (docs/scaling.md, Cheaper before sharding, item 13).
 */
import { loadKernel } from '../workunits/load-kernel.js';

export interface VerifyTask {
  kernelModule: string;
  /** Units to compute, in order, each with its input where the kind reads one. */
  units: Array<{ spec: unknown; input?: Uint8Array }>;
}

export type VerifyOutput = Array<{ result: unknown; opsDone: number }>;

export default async function compute(task: VerifyTask): Promise<VerifyOutput> {
  const kernel = await loadKernel(task.kernelModule);
  return task.units.map(({ spec, input }) => {
    const state = kernel.init(spec, input);
    while (!kernel.step(state, kernel.initialBudget * 64));
    return { result: kernel.result(state), opsDone: kernel.opsDone(state) };
  });
}
