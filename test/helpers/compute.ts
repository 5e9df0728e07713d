/** Compute a unit in-process with its kind's real kernel: what an honest host would return. */
import { getKind } from '../../workunits/index.js';
import type { Kernel } from '../../workunits/kind.js';

export async function honestResult(kindName: string, spec: unknown): Promise<unknown> {
  const kind = getKind(kindName)!;
  const kernel = (await import(/* @vite-ignore */ `../../workunits/${kind.kernelModule.replace(/\.js$/, '.ts')}`)).default as Kernel;
  const state = kernel.init(spec, undefined);
  while (!kernel.step(state, 1 << 20));
  return kernel.result(state);
}
