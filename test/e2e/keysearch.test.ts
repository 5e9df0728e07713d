/**
 * End to end with real processes: redis + a coordinator + two workers; a 2^20-key RC5-72 search with a
 * key planted across a byte-carry boundary, submitted with the default policy, ends `done` with exactly
 * that key: each unit computed once by a host and audited by the coordinator's verifier.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { OUTCOME, UNIT_STATE } from '../../coordinator/store/unit-layout.js';
import { readUnitHash } from '../helpers/unit-hash.js';
import { encryptBlock } from '../../workunits/keysearch/kind.js';
import { redisUrl, testRedis, uniquePrefix } from '../helpers/redis.js';
import { cli, startCoordinatorProcess, startWorkerProcess, waitFor, type Proc } from '../helpers/processes.js';
import type { JobDoc } from '../../protocol/index.js';

const procs: Proc[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
});

describe('key search end to end', () => {
  it('finds a planted key with two workers; the unit holding it was computed once and passed its audit', async () => {
    const prefix = uniquePrefix('e2e');
    const coord = await startCoordinatorProcess(redisUrl(), prefix);
    procs.push(coord);
    const w1 = startWorkerProcess(coord.url, 1);
    const w2 = startWorkerProcess(coord.url, 1);
    procs.push(w1, w2);

    // The range crosses the carry from ...4e ff f8 00 00 into ...4f 00 00 00 00; the key sits just past it.
    const start = 0x0a1b2c3d4efff80000n;
    const key = (start + 0x80123n).toString(16).padStart(18, '0');
    const iv = '0123456789abcdef';
    const plaintext = '54686520756e6b6e';
    const ciphertext = encryptBlock(key, iv, plaintext);
    const sub = await cli(['submit', 'keysearch', '--coordinator', coord.url, '--algorithm', 'rc5-32/12/9', '--iv', iv,
      '--plaintext', plaintext, '--ciphertext', ciphertext, '--start', start.toString(16).padStart(18, '0'),
      '--count', String(2 ** 20), '--unit-size', String(2 ** 16), '--json']);
    expect(sub.stderr).toBe('');
    expect(sub.code).toBe(0);
    const submitted = JSON.parse(sub.stdout) as JobDoc;
    expect(submitted).toMatchObject({ kind: 'keysearch', progress: { unitsTotal: 16, unitsDone: 0 } });
    // The answer is the job as read back after it was created: the workers, already asking for work, may
    // have leased a unit in between (seen once, in the cluster pass of a CI run).
    expect(['queued', 'running']).toContain(submitted.state);

    const done = await waitFor('the job to end', async () => {
      const s = await cli(['status', submitted.id, '--coordinator', coord.url, '--json']);
      const doc = JSON.parse(s.stdout) as JobDoc;
      return doc.state === 'done' || doc.state === 'failed' ? doc : undefined;
    }, 90_000);
    expect(done.state).toBe('done');
    expect((done.result as { found: unknown[] }).found).toEqual([{ key }]);
    expect((done.result as { keysSearched: number }).keysSearched).toBeGreaterThanOrEqual(2 ** 16);

    // The unit holding the key: one replica, valid, audited by the verifier before it counted.
    const redis = testRedis();
    const unit = await readUnitHash(redis, prefix, submitted.id, 0x80123 >> 16);
    redis.disconnect();
    expect(unit.state).toBe(UNIT_STATE.valid);
    expect(unit.replicas).toHaveLength(1);
    expect(unit.replicas[0].outcome).toBe(OUTCOME.valid);
    expect(unit.replicas[0].audit, 'audited: some blocks (P) or, on probation, all (W)').toMatch(/^[PW]$/);

    const res = await cli(['result', submitted.id, '--coordinator', coord.url]);
    expect(JSON.parse(res.stdout).found).toEqual([{ key }]);
  });
});
