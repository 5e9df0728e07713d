/** Compute a unit in-process with its kind's real kernel: what an honest host would return. */
import { getKind } from '../../workunits/index.js';
import type { Kernel } from '../../workunits/kind.js';

export async function honestResult(kindName: string, spec: unknown): Promise<unknown> {
  const kind = getKind(kindName)!;
  const kernel = (await import(/* @vite-ignore */ `../../workunits/${kind.kernelModule.replace(/\.js$/, '.ts')}`)).default as Kernel;
  return runUnit(kernel, spec);
}

/** A unit run to its end by `kernel` in steps of `budget` (over `input`, for a kind that reads one). */
export function runUnit<U, R>(kernel: Kernel<U, unknown, R>, spec: U, input?: Uint8Array, budget = 1 << 20): R {
  const state = kernel.init(spec, input);
  while (!kernel.step(state, budget));
  return kernel.result(state);
}
