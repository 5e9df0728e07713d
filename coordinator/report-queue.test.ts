/**
 * Reports of several hosts stored by one report.lua call (report-queue.ts), against a real Redis: reports
 * that arrive while a call is out gather into the next; each host gets its own items' statuses; a host
 * reporting another's lease is refused in a shared call while the others' results are stored; and an
 * error result resets the trust of the host that sent it, not of a host beside it in the same call.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ReportQueue } from './report-queue.js';
import { Keys } from './store/keys.js';
import { connectStore } from './store/redis.js';
import { registerScripts } from './store/scripts.js';
import { replicaField } from './store/unit-layout.js';
import { redisUrl, uniquePrefix } from '../test/helpers/redis.js';
import { createScriptJob, leaseDirect, type Leased } from '../test/helpers/script-job.js';

const redis = registerScripts(connectStore(redisUrl()));
afterAll(() => redis.disconnect());

/** A job of one replica per unit, and `hosts` each holding `per` of its units (lease ids "job.unit.replica"). */
async function setup(hosts: string[], per: number) {
  const keys = new Keys(uniquePrefix('rq'));
  const job = 'j1';
  await createScriptJob(redis, keys, job, { unitsTotal: 1000, minQuorum: 1, targetResults: 1 });
  const held = new Map<string, Leased[]>();
  for (const [i, host] of hosts.entries()) {
    // Each host its own trust: 5, 6, 7... valid in a row since its second reset.
    await redis.hset(keys.key('host', { host }), 'id', host, 'cv:keysearch', 5 + i, 'ce:keysearch', 2);
    held.set(host, await leaseDirect(redis, keys, host, per));
  }
  const item = (l: Leased, what = 'R', payload = '{"found":[]}') => [job, l.unit, l.replica, what, payload, 1];
  const markOf = async (l: Leased) => redis.hget(keys.key('unit', { job, unit: Number(l.unit) }), replicaField('trust', Number(l.replica)));
  return { keys, job, held, item, markOf };
}

describe('ReportQueue', () => {
  it('gathers the reports that arrive while a call is out, and answers each host for its own items', async () => {
    const hosts = ['a', 'b', 'c', 'd'];
    const { keys, held, item, markOf } = await setup(hosts, 2);
    const q = new ReportQueue(redis, keys, { concurrency: 1 });
    const answers = await Promise.all(hosts.map((h) => q.store(h, held.get(h)!.map((l) => item(l)))));
    expect(answers).toEqual(hosts.map(() => ['check', 'check']));
    // The first report went at once; the three that came while it ran went together.
    expect([q.calls, q.requests]).toEqual([2, 4]);
    expect(await redis.zcard(keys.key('validate'))).toBe(8);
    for (const h of hosts) expect(await redis.scard(keys.key('hostLeases', { host: h }))).toBe(0);
    // Each result carries the trust of the host that sent it, though three hosts shared a call.
    for (const [i, h] of hosts.entries()) for (const l of held.get(h)!) expect(await markOf(l)).toBe(`2:${5 + i}`);
  });

  it('refuses a lease reported by another host, and resets the trust of only the host whose unit failed', async () => {
    const { keys, held, item, markOf } = await setup(['a', 'b', 'c'], 1);
    const q = new ReportQueue(redis, keys, { concurrency: 1 });
    const [a, b, c] = ['a', 'b', 'c'].map((h) => held.get(h)![0]);
    const answers = await Promise.all([
      q.store('a', [item(a)]),
      q.store('b', [item(b, 'E', '{"code":"UNIT_ERROR","message":"out of memory"}')]),
      q.store('c', [item(a), item(c)]), // a's lease, then its own
    ]);
    expect(q.calls).toBe(2);
    expect(answers).toEqual([['check'], ['ok'], ['LEASE_NOT_YOURS', 'check']]);
    expect(await redis.hget(keys.key('host', { host: 'b' }), 'cv:keysearch')).toBe('0');
    expect(await redis.hget(keys.key('host', { host: 'c' }), 'cv:keysearch')).toBe('7');
    // c's result carries c's own mark (epoch 2, 7 valid in a row), read in the same call as b's reset.
    expect(await markOf(c)).toBe('2:7');
  });
});
