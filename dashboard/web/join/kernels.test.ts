import { describe, expect, it } from 'vitest';
import { KINDS } from '../../../workunits/index.js';
import { KERNELS } from './kernels.js';

describe('the kernels the /join page bundles', () => {
  it('has every kind\'s kernel, as the Node worker would load it', async () => {
    for (const kind of Object.values(KINDS)) {
      // The module by its path, as worker/thread.ts loads it.
      const node = (await import(/* @vite-ignore */ new URL(`../../../workunits/${kind.kernelModule.replace(/\.js$/, '.ts')}`, import.meta.url).href)).default;
      expect(KERNELS[kind.kernelModule], kind.name).toBe(node);
    }
    expect(Object.keys(KERNELS).sort()).toEqual(Object.values(KINDS).map((k) => k.kernelModule).sort());
  });
});
