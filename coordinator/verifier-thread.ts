/**
 * A verifier thread (piscina): computes one unit, or one audit block of a unit, to the end with the
 * kind's own kernel, as a volunteer's thread would. The kernels are WebAssembly, so the bits are the
 * host's bits. The thread runs at normal priority: the coordinator waits on it to validate.
 */
import type { Kernel } from '../workunits/kind.js';

export interface VerifyTask {
  kernelModule: string;
  spec: unknown;
  input?: Uint8Array;
}

const kernels = new Map<string, Kernel>();

async function loadKernel(module: string): Promise<Kernel> {
  let k = kernels.get(module);
  if (!k) {
    k = (await import(new URL(`../workunits/${module}`, import.meta.url).href)).default as Kernel;
    kernels.set(module, k);
  }
  return k;
}

export default async function compute(task: VerifyTask): Promise<{ result: unknown; opsDone: number }> {
  const kernel = await loadKernel(task.kernelModule);
  const state = kernel.init(task.spec, task.input);
  while (!kernel.step(state, kernel.initialBudget * 64));
  return { result: kernel.result(state), opsDone: kernel.opsDone(state) };
}
