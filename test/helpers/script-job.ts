/**
 * A job and its leases made straight with the store's scripts, no coordinator in between: for tests and
 * benchmarks of the scripts themselves (coordinator/report-queue.test.ts, bench/redis-time.bench.ts).
 * A key search job; no audits are planned (those live in the coordinator's policy, not in the job hash).
 */
import type { Keys } from '../../coordinator/store/keys.js';
import type { StoreRedis } from '../../coordinator/store/scripts.js';

export interface ScriptJobFields {
  unitsTotal: number;
  minQuorum: number;
  targetResults: number;
}

export async function createScriptJob(redis: StoreRedis, keys: Keys, jobId: string, f: ScriptJobFields): Promise<void> {
  const fields = { id: jobId, kind: 'keysearch', ...f, maxErrorResults: 3, maxTotalResults: 10, delayMs: 3_600_000, adaptive: 0, weightEff: 1 };
  await redis.ig_createJob(keys.prefix, jobId, Date.now(), ...Object.entries(fields).flat());
}

export interface Leased {
  unit: string;
  replica: string;
}

/**
 * lease.lua's answer to `host` (no account, a loopback network, 16 threads of 8 leases each, a new host's
 * allowance of `newHostLeases`) asking for `count` replicas; throws unless it got them all.
 */
export async function leaseDirect(redis: StoreRedis, keys: Keys, host: string, count: number, newHostLeases = 64): Promise<Leased[]> {
  const flat = (await redis.ig_lease(keys.prefix, host, '', Date.now(), count, ',keysearch,', 8, '', 16, 8, newHostLeases)) as string[];
  if (flat.length !== count * 4 + 2) throw new Error(`lease.lua gave ${(flat.length - 2) / 4} replicas to ${host}: ${flat.slice(-2).join(' ')}`);
  return Array.from({ length: count }, (_, i) => ({ unit: flat[i * 4 + 1], replica: flat[i * 4 + 2] }));
}
