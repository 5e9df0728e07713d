/**
 * The kernels a compute thread can run, by Kind.kernelModule. The Node worker imports them by path at
 * run time; a browser bundle needs them named up front, and kernels.test.ts checks that every kind of
 * workunits/ is here, so a new kind cannot silently miss the browser.
 */
import fftscan from '../../../workunits/fftscan/kernel.js';
import keysearch from '../../../workunits/keysearch/kernel.js';
import type { Kernel } from '../../../workunits/kind.js';

export const KERNELS: Record<string, Kernel<any, any, any>> = {
  'keysearch/kernel.js': keysearch,
  'fftscan/kernel.js': fftscan,
};
