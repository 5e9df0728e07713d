/** Helpers to inspect a grid's Redis state from tests (read-only). */
import { connectStore } from '../../coordinator/store/redis.js';
import { OPS_PER_COBBLESTONE } from '../../coordinator/validator.js';
import { OUTCOME, UNIT_STATE } from '../../coordinator/store/unit-layout.js';
import { readUnitHash } from './unit-hash.js';
import { keysOn } from './store-keys.js';

export interface GridAudit {
  unitsValid: number;
  validResults: number;
  hostCredit: number;
  expectedCredit: number;
  unitsDoneCounter: number;
}

/** Check a finished job unit by unit: each valid once, credit = valid results x unit credit. */
export async function auditJob(url: string, prefix: string, jobId: string, opsPerUnit: number): Promise<GridAudit> {
  const redis = connectStore(url);
  const keys = keysOn(redis, prefix);
  try {
    // Granted credit reaches the totals in batches, within about 100 ms (coordinator/credit-ledger.ts).
    for (const until = Date.now() + 5_000; (await redis.llen(keys.key('creditPending'))) > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    const total = Number(await redis.hget(keys.key('job', { job: jobId }), 'unitsTotal'));
    let unitsValid = 0;
    let validResults = 0;
    for (let u = 0; u < total; u++) {
      const h = await readUnitHash(redis, prefix, jobId, u);
      if (h.state === UNIT_STATE.valid) unitsValid++;
      validResults += h.replicas.filter((x) => x.outcome === OUTCOME.valid).length;
    }
    let hostCredit = 0;
    const hosts = await redis.zrange(keys.key('creditHosts'), '0', '-1', 'WITHSCORES');
    for (let i = 1; i < hosts.length; i += 2) hostCredit += Number(hosts[i]);
    return {
      unitsValid,
      validResults,
      hostCredit,
      expectedCredit: (validResults * opsPerUnit) / OPS_PER_COBBLESTONE,
      unitsDoneCounter: Number(await redis.hget(keys.key('job', { job: jobId }), 'unitsDone')),
    };
  } finally {
    redis.disconnect();
  }
}
