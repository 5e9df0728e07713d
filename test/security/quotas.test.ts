/**
 * Daily quotas (BOINC's daily result quota), per host and per account and kind, with scripted hosts on a
 * real coordinator: a new host gets 24 units a day per declared thread (at most 32 threads counted), a new
 * account 1,536; each validated result doubles both, each invalid one halves them; a host over quota gets
 * `no_work` with reason `quota` and a message saying when it resets.
 */
import { describe, expect, it } from 'vitest';
import type { WorkUnit } from '../../protocol/index.js';
import { SHARED, STANDING } from '../../coordinator/store/unit-layout.js';
import { honestResult } from '../helpers/compute.js';
import { adminToken } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { api, coordinatorForFile, keyJobParams } from './support.js';

const file = coordinatorForFile();
const host = file.host;
async function submit(policy: Record<string, unknown>): Promise<string> {
  const { params } = keyJobParams({ count: 400 * 16, unitSize: 16, keyOffset: 400 * 16 - 1, start: BigInt(Date.now()) << 20n });
  const sub = await api(file.coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params: { ...params, exhaustive: true }, policy: { adaptive: false, ...policy } } });
  expect(sub.status).toBe(201);
  return sub.body.id;
}

async function report(w: FakeWorker, units: WorkUnit[], honest = true): Promise<void> {
  const items = [];
  for (const u of units) {
    const right = (await honestResult('keysearch', u.spec)) as { digest: string };
    items.push({ leaseId: u.leaseId, result: honest ? right : { ...right, found: [], digest: 'ffffffffffffffff' }, cpuS: 0, elapsedS: 0 });
  }
  w.send({ type: 'results', items });
  expect((await w.next('ack')).items.every((i) => i.status === 'accepted')).toBe(true);
}

const field = async (key: string, name: string) => Number((await file.coord.services.redis.hget(key, name)) ?? NaN);
const hostKey = (w: FakeWorker) => file.coord.services.keys.key('host', { host: w.hostId });

describe('daily quotas', () => {
  it('a new host and a new account start small, double with each valid result, halve with each invalid one', async () => {
    const acct = (await api(file.coord.url, 'POST', '/api/accounts', { body: { name: 'quota' } })).body;
    const accountKey = file.coord.services.keys.key('account', { account: acct.id });
    const base = SHARED.QUOTA_PER_THREAD;
    const job = await submit({ minQuorum: 2, targetResults: 2 });
    const w = await host({ threads: 1, account: acct.key });

    // One thread: 24 units today, whatever else is waiting. Results with no partner yet are not validated.
    const mine: WorkUnit[] = [];
    let last;
    for (;;) {
      last = await w.request(4);
      if (last.type !== 'work') break;
      mine.push(...last.units);
      await report(w, last.units);
    }
    expect(mine).toHaveLength(base);
    expect(last).toMatchObject({ type: 'no_work', reason: 'quota' });
    if (last.type !== 'no_work') throw new Error('unreachable');
    expect(last.message).toMatch(new RegExp(`^daily quota reached: this host had ${base} of ${base} units of keysearch today; it resets at 00:00 UTC, in (\\d+ h )?\\d+ min \\(each validated result doubles`));
    expect(last.retryMs).toBeLessThanOrEqual(60_000);
    expect(await field(accountKey, `${STANDING.quotaUsed}keysearch`)).toBe(base);
    expect(await field(accountKey, `${STANDING.quota}keysearch`)).toBe(SHARED.ACCOUNT_QUOTA_BASE);

    // A partner confirms one result: both quotas double, and the host may work on.
    const partner = await host({ threads: 2 });
    const second = await partner.request(1);
    expect(second.type === 'work' && second.units[0].unit).toBe(mine[0].unit);
    if (second.type !== 'work') throw new Error('unreachable');
    await report(partner, second.units);
    expect((await w.next('credit')).valid).toBe(true);
    expect(await field(hostKey(w), `${STANDING.quota}keysearch`)).toBe(2 * base);
    expect(await field(accountKey, `${STANDING.quota}keysearch`)).toBe(2 * SHARED.ACCOUNT_QUOTA_BASE);
    expect(await w.request(4)).toMatchObject({ type: 'work' });
    await api(file.coord.url, 'DELETE', `/api/jobs/${job}`, { token: adminToken() });

    // A wrong result that misses a planted key is invalid on its own: both quotas halve.
    await submit({ minQuorum: 1, targetResults: 1, ringers: 1 });
    const lie = await w.request(1);
    if (lie.type !== 'work') throw new Error(`no unit for the lie: ${JSON.stringify(lie)}`);
    await report(w, lie.units, false);
    expect((await w.next('credit')).valid).toBe(false);
    expect(await field(hostKey(w), `${STANDING.quota}keysearch`)).toBe(base);
    expect(await field(accountKey, `${STANDING.quota}keysearch`)).toBe(SHARED.ACCOUNT_QUOTA_BASE);
  });

  it('counts declared threads up to 32 only, and gives back the leases of units handed back unfinished', async () => {
    await submit({ minQuorum: 1, targetResults: 1 });
    const big = await host({ threads: 4096 });
    const units = (await big.request(8)) as Extract<Awaited<ReturnType<FakeWorker['request']>>, { type: 'work' }>;
    expect(units.units).toHaveLength(8);
    expect(await field(hostKey(big), `${STANDING.quota}keysearch`)).toBe(SHARED.QUOTA_PER_THREAD * SHARED.QUOTA_THREADS_MAX);
    expect(await field(hostKey(big), `${STANDING.quotaUsed}keysearch`)).toBe(8);
    big.send({ type: 'release', leaseIds: units.units.slice(0, 3).map((u) => u.leaseId), reason: 'test' });
    big.send({ type: 'heartbeat', seq: 1, sentAt: Date.now() });
    await big.next('heartbeat_ack');
    expect(await field(hostKey(big), `${STANDING.quotaUsed}keysearch`)).toBe(5);
  });
});
