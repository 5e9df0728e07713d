/**
 * Which defence stops a colluding pair (two hosts sending the same wrong result for a unit), step by step
 * with scripted hosts on a real coordinator. The first case is a limit, kept as a test so the docs cannot
 * drift from the truth: two unlinked hosts (a Sybil pair) outvote nobody and win a plain 2-quorum.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkUnit } from '../../protocol/index.js';
import { honestResult } from '../helpers/compute.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { waitFor } from '../helpers/processes.js';
import { readUnitHash } from '../helpers/unit-hash.js';
import { OUTCOME, UNIT, UNIT_STATE } from '../../coordinator/store/unit-layout.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { api, keyJobParams } from './support.js';

let coord: TestCoordinator;
beforeAll(async () => {
  coord = await startTestCoordinator();
});
afterAll(async () => coord?.stop());

/** The colluders' shared wrong answer: the same for every replica of a unit, never the right one. */
const collude = (u: WorkUnit) => ({ found: [], keys: (u.spec as { count: number }).count, digest: createHash('sha256').update(JSON.stringify(u.spec)).digest('hex').slice(0, 16) });

async function oneUnitJob(policy: Record<string, unknown>): Promise<string> {
  const { params } = keyJobParams({ count: 2048, unitSize: 2048, keyOffset: 3, start: BigInt(Date.now()) << 16n });
  const sub = await api(coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params: { ...params, exhaustive: true }, policy: { adaptive: false, ...policy } } });
  expect(sub.status).toBe(201);
  return sub.body.id;
}

async function host(account?: string): Promise<FakeWorker> {
  const w = await FakeWorker.connect(coord.wsUrl);
  await w.hello(account ? { account } : {});
  return w;
}

/** Takes one unit of the job and answers it; null when the coordinator gives this host none. */
async function take(w: FakeWorker, jobId: string, answer: (u: WorkUnit) => Promise<unknown> | unknown): Promise<WorkUnit | null> {
  const reply = await w.request(1);
  if (reply.type !== 'work') return null;
  const u = reply.units[0];
  expect(u.jobId).toBe(jobId);
  w.send({ type: 'results', items: [{ leaseId: u.leaseId, result: await answer(u), cpuS: 0, elapsedS: 0 }] });
  expect((await w.next('ack')).items[0].status).toBe('accepted');
  return u;
}

const unitState = (jobId: string) => readUnitHash(coord.services.redis, coord.services.keys.prefix, jobId, 0);
const honest = (u: WorkUnit) => honestResult('keysearch', u.spec);
/** Validation runs just after the ack: wait until the unit wants another replica, or is decided. */
const wantsMore = (jobId: string) => waitFor('the validator to ask for another replica', async () => Number((await unitState(jobId)).raw[UNIT.need]) >= 1);
const decided = (jobId: string) => waitFor('the unit to be validated', async () => ((await unitState(jobId)).state === UNIT_STATE.valid ? unitState(jobId) : undefined));

describe('colluding pairs', () => {
  it('LIMIT: two unlinked hosts agreeing on a wrong result win a plain 2-quorum', async () => {
    const job = await oneUnitJob({ minQuorum: 2, targetResults: 2 });
    const [a, b] = await Promise.all([host(), host()]);
    const u = (await take(a, job, collude))!;
    expect(await take(b, job, collude)).not.toBeNull();
    const s = await decided(job);
    expect(s.canonical).toEqual(collude(u));
    a.close();
    b.close();
  });

  it('sharing one account, the pair never gets two replicas of a unit, and honest hosts outvote it', async () => {
    const acct = (await api(coord.url, 'POST', '/api/accounts', { body: { name: 'pair' } })).body.key;
    const job = await oneUnitJob({ minQuorum: 2, targetResults: 2 });
    const [a, b, h1, h2] = await Promise.all([host(acct), host(acct), host(), host()]);
    const u = (await take(a, job, collude))!;
    expect(await take(b, job, collude)).toBeNull();
    await take(h1, job, honest);
    await wantsMore(job);
    expect(await take(b, job, collude)).toBeNull();
    await take(h2, job, honest);
    const s = await decided(job);
    expect(s.canonical).toEqual(await honest(u));
    expect(s.replicas[0].outcome).toBe(OUTCOME.invalid);
    for (const w of [a, b, h1, h2]) w.close();
  });

  it('unlinked, the pair is still stopped by ringers: results that miss a planted key fail on their own', async () => {
    const job = await oneUnitJob({ minQuorum: 2, targetResults: 2, ringers: 2 });
    const [a, b, h1, h2] = await Promise.all([host(), host(), host(), host()]);
    const u = (await take(a, job, collude))!;
    expect((u.spec as { targets: string[] }).targets).toHaveLength(3);
    await take(b, job, collude);
    await wantsMore(job);
    await take(h1, job, honest);
    await wantsMore(job);
    await take(h2, job, honest);
    const s = await decided(job);
    expect(s.canonical).toEqual(await honest(u));
    expect([s.replicas[0].outcome, s.replicas[1].outcome]).toEqual([OUTCOME.invalid, OUTCOME.invalid]);
    for (const w of [a, b, h1, h2]) w.close();
  });
});
