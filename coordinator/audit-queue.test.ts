/**
 * The audit queue (audit-queue.ts) against a real Redis, with two queues standing for two coordinators on
 * one store: every audit asked for runs once, however often and by whom it was asked; a claim left by a
 * coordinator that died lapses and another runs the audit; a claim is renewed while its audit runs longer
 * than a claim lasts; a failing audit is tried MAX_TRIES times and then given up.
 */
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AuditQueue, MAX_TRIES, type AuditQueueOptions, type AuditRead, type AuditRequest, type Finding } from './audit-queue.js';
import { AUDIT, REPLICA_STATE, UNIT, UNIT_STATE, replicaField } from './store/unit-layout.js';
import { Keys } from './store/keys.js';
import { connectStore } from './store/redis.js';
import { registerScripts } from './store/scripts.js';
import { redisUrl, uniquePrefix } from '../test/helpers/redis.js';
import { waitFor } from '../test/helpers/processes.js';

const redis = registerScripts(connectStore(redisUrl()));
const log = pino({ level: 'silent' });
const queues: AuditQueue[] = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close(0)));
});
afterAll(() => redis.disconnect());

const lid = (a: AuditRequest) => `${a.jobId}.${a.unit}.${a.replica}`;
const audits = (n: number): AuditRequest[] => Array.from({ length: n }, (_, i) => ({ jobId: 'job1', unit: i, replica: i % 2 }));

/** A queue whose audits find nothing to record (run resolves null): each is only taken off the queue. */
function queue(keys: Keys, run: (a: AuditRequest, read: AuditRead) => Promise<void>, opts: Partial<AuditQueueOptions> = {}): AuditQueue {
  const q = new AuditQueue(redis, keys, async (a, read) => {
    await run(a, read);
    return null;
  }, () => {}, { slots: 2, pollMs: 50, ...opts }, log);
  q.start();
  queues.push(q);
  return q;
}

/** A run that records each audit and holds it until `open` is called. */
function gated() {
  const ran: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const run = async (a: AuditRequest) => {
    ran.push(lid(a));
    await gate;
  };
  return { ran, run, open };
}

describe('AuditQueue', () => {
  it('runs every audit once, whoever asked for it and however often', async () => {
    const keys = new Keys(uniquePrefix('aq'));
    const { ran, run, open } = gated();
    const [a, b] = [queue(keys, run), queue(keys, run)];
    const all = audits(30);
    // Both coordinators ask for overlapping halves; once both run all they can (none finished), each asks
    // for every one again: the waiting ones stay queued once, the claimed ones stay claimed.
    await Promise.all([a.request(all.slice(0, 20)), b.request(all.slice(10)), a.request(all.slice(5, 15))]);
    await waitFor('every slot running', async () => a.active + b.active === 4, 5_000);
    await Promise.all([a.request(all), b.request(all)]);
    expect(await redis.zcard(keys.key('audits'))).toBe(30);
    open();
    await waitFor('every audit run', async () => (await redis.zcard(keys.key('audits'))) === 0 && a.active + b.active === 0, 10_000);
    expect(ran.sort()).toEqual(all.map(lid).sort());
  });

  it('does not run again an audit asked for while it runs, though a coordinator has a slot free', async () => {
    const keys = new Keys(uniquePrefix('aq'));
    const { ran, run, open } = gated();
    const [a, b] = [queue(keys, run, { slots: 4 }), queue(keys, run, { slots: 4 })];
    const two = audits(2);
    await a.request(two);
    await waitFor('both running', async () => a.active + b.active === 2, 5_000);
    await b.request(two);
    await new Promise((r) => setTimeout(r, 300));
    open();
    await waitFor('both done', async () => (await redis.zcard(keys.key('audits'))) === 0 && a.active + b.active === 0, 5_000);
    expect(ran.sort()).toEqual(two.map(lid).sort());
  });

  it('hands each audit what the verifier reads first: the unit, and its host\'s trust in the job\'s kind', async () => {
    const keys = new Keys(uniquePrefix('aq'));
    await redis.hset(keys.key('job', { job: 'job1' }), 'kind', 'keysearch');
    await redis.hset(keys.key('unit', { job: 'job1', unit: 0 }), replicaField('host', 0), 'hostX', replicaField('state', 0), 'R');
    await redis.hset(keys.key('host', { host: 'hostX' }), 'ce:keysearch', 3, 'cv:keysearch', 7, 'cv:fftscan', 9);
    const got: Array<[string, AuditRead]> = [];
    const a = queue(keys, async (x, read) => void got.push([lid(x), read]));
    // Unit 1 was never stored (its job ended and was deleted, say): nothing to read, and no host.
    await a.request([{ jobId: 'job1', unit: 0, replica: 0 }, { jobId: 'job1', unit: 1, replica: 0 }]);
    await waitFor('both run', async () => got.length === 2, 5_000);
    expect(Object.fromEntries(got)).toEqual({
      'job1.0.0': { unit: { h0: 'hostX', s0: 'R' }, epoch: '3', count: '7', at: expect.any(Number) },
      'job1.1.0': { unit: {}, epoch: null, count: null, at: expect.any(Number) },
    });
  });

  it('records a slot\'s findings together and claims its next audits in the same call', async () => {
    const keys = new Keys(uniquePrefix('aq'));
    const all = audits(6).map((a) => ({ ...a, replica: 0 }));
    for (const a of all) {
      // Unit 5 was decided while its audit waited: its finding comes too late to be recorded.
      await redis.hset(keys.key('unit', { job: a.jobId, unit: a.unit }), UNIT.state, a.unit === 5 ? UNIT_STATE.valid : UNIT_STATE.open, replicaField('state', 0), REPLICA_STATE.reported);
    }
    const recorded: number[] = [];
    const q = new AuditQueue<Finding>(redis, keys, async () => ({ finding: AUDIT.passed }), (a) => void recorded.push(a.unit), { slots: 1, pollMs: 60_000, batch: 4 }, log);
    queues.push(q);
    // Asked for before it starts (as a coordinator's validator may), so its first claim finds them.
    await q.request(all);
    q.start();
    await waitFor('every audit done', async () => (await redis.zcard(keys.key('audits'))) === 0 && q.active === 0, 5_000);
    expect(recorded.sort()).toEqual([0, 1, 2, 3, 4]);
    for (const a of all) {
      expect(await redis.hget(keys.key('unit', { job: a.jobId, unit: a.unit }), replicaField('audit', 0))).toBe(a.unit === 5 ? null : AUDIT.passed);
    }
    expect((await redis.zrange(keys.key('validate'), '0', '-1')).sort()).toEqual([0, 1, 2, 3, 4].map((u) => `job1.${u}`));
    // One claim of four when asked; the four run, then one call records them and claims the last two; the
    // two run, then one call records them (and finds nothing more to claim).
    expect(q.calls).toBe(3);
  });

  it('audits again, with the trust it has now, a result partially audited by trust its host lost meanwhile', async () => {
    const keys = new Keys(uniquePrefix('aq'));
    await redis.hset(keys.key('job', { job: 'job1' }), 'kind', 'keysearch');
    await redis.hset(keys.key('host', { host: 'hostX' }), 'ce:keysearch', 3, 'cv:keysearch', 40);
    for (const unit of [0, 1]) {
      await redis.hset(keys.key('unit', { job: 'job1', unit }), UNIT.state, UNIT_STATE.open, replicaField('state', 0), REPLICA_STATE.reported, replicaField('host', 0), 'hostX');
    }
    // Unit 0 is audited in part (the host's trust allowed it), unit 1 in full; the host is caught while they run.
    const runs: Array<[number, string | null]> = [];
    const recorded: number[] = [];
    const q = new AuditQueue<Finding>(redis, keys, async (a, read) => {
      runs.push([a.unit, read.epoch]);
      if (runs.length === 2) await redis.hset(keys.key('host', { host: 'hostX' }), 'ce:keysearch', 4, 'cv:keysearch', 0);
      return { finding: a.unit === 0 && read.epoch === '3' ? AUDIT.passed : AUDIT.whole };
    }, (a) => void recorded.push(a.unit), { slots: 1, pollMs: 50, batch: 4 }, log);
    queues.push(q);
    await q.request([{ jobId: 'job1', unit: 0, replica: 0 }, { jobId: 'job1', unit: 1, replica: 0 }]);
    q.start();
    await waitFor('both audits recorded', async () => recorded.length === 2 && (await redis.zcard(keys.key('audits'))) === 0, 5_000);
    // Unit 0 ran again with the epoch the host has now, and its full audit is what was recorded.
    expect(runs).toEqual([[0, '3'], [1, '3'], [0, '4']]);
    expect(await redis.hget(keys.key('unit', { job: 'job1', unit: 0 }), replicaField('audit', 0))).toBe(AUDIT.whole);
    expect(await redis.hget(keys.key('unit', { job: 'job1', unit: 1 }), replicaField('audit', 0))).toBe(AUDIT.whole);
  });

  it('hands back at once the audits it claimed and had not started when it closes', async () => {
    const keys = new Keys(uniquePrefix('aq'));
    const { ran, run, open } = gated();
    // Claims held for a minute: only a hand-back lets another coordinator run them soon.
    const a = queue(keys, run, { slots: 1, batch: 4, claimMs: 60_000 });
    await a.request(audits(4));
    await waitFor('one running, three held', async () => a.active === 1 && ran.length === 1, 5_000);
    const closing = a.close(10_000);
    const b = queue(keys, run, { slots: 3 });
    await waitFor('the three run elsewhere', async () => b.active === 3, 5_000);
    open();
    await closing;
    await waitFor('every audit done', async () => (await redis.zcard(keys.key('audits'))) === 0, 5_000);
    expect(ran.sort()).toEqual(audits(4).map(lid).sort());
  });

  it('runs an audit whose claim a dead coordinator left once the claim lapses', async () => {
    const keys = new Keys(uniquePrefix('aq'));
    const [x] = audits(1);
    await redis.zadd(keys.key('audits'), 0, lid(x));
    // A coordinator claimed it for 300 ms, then died without a word.
    const now = Date.now();
    expect(((await redis.ig_claimAudits(keys.prefix, now, now + 300, 5)) as unknown[][]).map((c) => c[0])).toEqual([lid(x)]);
    const ran: number[] = [];
    queue(keys, async () => void ran.push(Date.now()));
    await waitFor('the audit taken over', async () => ran.length === 1, 5_000);
    expect(ran[0]).toBeGreaterThanOrEqual(now + 300);
    await waitFor('the audit off the queue', async () => (await redis.zcard(keys.key('audits'))) === 0, 5_000);
  });

  it('renews the claim of an audit that runs longer than a claim lasts, so no one else runs it', async () => {
    const keys = new Keys(uniquePrefix('aq'));
    let runs = 0;
    const slow = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 1_200));
    };
    // The first claims only when asked (it polls rarely), the second looks every 50 ms.
    const a = queue(keys, slow, { claimMs: 300, pollMs: 60_000 });
    queue(keys, slow, { claimMs: 300 });
    await a.request(audits(1));
    await waitFor('the audit done', async () => runs >= 1 && (await redis.zcard(keys.key('audits'))) === 0, 10_000);
    expect(runs).toBe(1);
  });

  it('tries a failing audit again, and gives it up after MAX_TRIES tries', async () => {
    const keys = new Keys(uniquePrefix('aq'));
    let tries = 0;
    const a = queue(keys, async () => {
      tries++;
      throw new Error('the recording is gone');
    }, { retryMs: 10 });
    await a.request(audits(1));
    await waitFor('given up', async () => tries >= MAX_TRIES && (await redis.zcard(keys.key('audits'))) === 0 && a.active === 0, 10_000);
    expect(tries).toBe(MAX_TRIES);
    expect(await redis.hlen(keys.key('auditTries'))).toBe(0);
  });
});
