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
 * lease.lua's answers to `hosts` (of `accounts[i]`, none where not given; a loopback network, 16 threads
 * of 8 leases each, a new host's allowance of `newHostLeases`, no random numbers: every unit replicated)
 * asking for `count` replicas each, in one call, in order; throws unless each got them all.
 */
export async function leaseDirectMany(redis: StoreRedis, keys: Keys, hosts: string[], count: number, newHostLeases = 64, accounts: string[] = []): Promise<Leased[][]> {
  const args = hosts.flatMap((host, i) => [host, accounts[i] ?? '', count, ',keysearch,', '', 16, 0]);
  const answers = (await redis.ig_lease(keys.prefix, Date.now(), 8, 8, newHostLeases, hosts.length, ...args)) as string[][];
  return answers.map((flat, h) => {
    if (flat.length !== count * 4 + 2) throw new Error(`lease.lua gave ${(flat.length - 2) / 4} replicas to ${hosts[h]}: ${flat.slice(-2).join(' ')}`);
    return Array.from({ length: count }, (_, i) => ({ unit: flat[i * 4 + 1], replica: flat[i * 4 + 2] }));
  });
}

/** The same for one host, in a call of its own. */
export async function leaseDirect(redis: StoreRedis, keys: Keys, host: string, count: number, newHostLeases = 64, account = ''): Promise<Leased[]> {
  return (await leaseDirectMany(redis, keys, [host], count, newHostLeases, [account]))[0];
}
