/** The kinds this build knows. Coordinator and worker both look kinds up here by name. */
import type { Kind } from './kind.js';
import fftscan from './fftscan/kind.js';
import keysearch from './keysearch/kind.js';

export const KINDS: Record<string, Kind<any, any, any, any>> = {
  [keysearch.name]: keysearch,
  [fftscan.name]: fftscan,
};

export function getKind(name: string): Kind<any, any, any, any> | undefined {
  return Object.prototype.hasOwnProperty.call(KINDS, name) ? KINDS[name] : undefined;
}

export type { Kind, Kernel, Plan, InputRef, Outcome, KindError } from './kind.js';
