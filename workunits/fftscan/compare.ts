/**
 * Do two results of one unit agree? (Used when a job asks for replicas; by default one result is audited
 * instead, audit.ts.) Exactly, every number to the last bit: the kernels are WebAssembly and the rest of
 * a unit's computation is deterministic JavaScript, so two honest hosts of one kind version return the
 * same bits (digest-determinism.test.ts), and hosts must run the coordinator's version. A tolerance would
 * buy nothing for honest hosts and would let a forger shade a score by a fraction of a per cent and still
 * "agree" with an honest replica, which the quorum rule then ties to the forger's fate.
 */
import type { Result, UnitSpec } from './params.js';

/** JSON with object keys sorted, so field order (never meaningful) cannot make two equal results differ. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x && typeof x === 'object') {
    return `{${Object.keys(x).filter((k) => (x as Record<string, unknown>)[k] !== undefined).sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return typeof x === 'number' && Object.is(x, -0) ? '-0' : JSON.stringify(x);
}

export function compareResults(a: Result, b: Result, _unit: UnitSpec): boolean {
  return canonical(a) === canonical(b);
}
