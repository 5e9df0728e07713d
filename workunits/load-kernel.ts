/**
 * A kind's kernel by its module path under workunits/ (`Kind.kernelModule`, e.g. `keysearch/kernel.js`),
 * imported once per thread. Volunteers' compute threads and the coordinator's verifier threads load
 * kernels the same way, so both run the same code on the same bits.
 */
import type { Kernel } from './kind.js';

const kernels = new Map<string, Kernel>();

export async function loadKernel(module: string): Promise<Kernel> {
  let k = kernels.get(module);
  if (!k) {
    k = (await import(new URL(`./${module}`, import.meta.url).href)).default as Kernel;
    kernels.set(module, k);
  }
  return k;
}
