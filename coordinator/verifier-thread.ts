/**
 * A verifier thread (piscina): computes one unit, or one audit block of a unit, to the end with the
 * kind's own kernel, as a volunteer's thread would. The kernels are WebAssembly, so the bits are the
 * host's bits. The thread runs at normal priority: the coordinator waits on it to validate.
 */
import { loadKernel } from '../workunits/load-kernel.js';

export interface VerifyTask {
  kernelModule: string;
  spec: unknown;
  input?: Uint8Array;
}

export default async function compute(task: VerifyTask): Promise<{ result: unknown; opsDone: number }> {
  const kernel = await loadKernel(task.kernelModule);
  const state = kernel.init(task.spec, task.input);
  while (!kernel.step(state, kernel.initialBudget * 64));
  return { result: kernel.result(state), opsDone: kernel.opsDone(state) };
}
