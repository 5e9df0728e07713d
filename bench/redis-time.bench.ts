/**
 * Redis time per validated result, the scripts alone: the life of a unit with 2 replicas (a lease of 64
 * fresh units to one host, of their second replicas to another, both hosts' reports, the validator's
 * read of each unit and one validate.lua call) driven straight at a Redis of its own, one call at a
 * time, with no coordinator, hosts or network load beside it. The throughput benchmark measures the same
 * scripts inside a loaded 2-core machine, where Redis shares its cores and caches with everything else;
 * this one is what the scripts cost by themselves, and what changes to them should be judged by
 * (issue #17's goal: 20 µs per validated result).
 *
 * Redis CPU is read from /proc (the CPU time of redis-server's threads, to the nanosecond) over many
 * rounds, so it includes parsing the commands and writing the replies. Reference in the same run, on the same Redis: BullMQ's
 * Redis CPU per no-op job (added with addBulk, drained by its Worker).
 */
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Bench } from './section.js';
import { Keys } from '../coordinator/store/keys.js';
import { registerScripts, type StoreRedis } from '../coordinator/store/scripts.js';
import { AUDIT, UNIT, replicaField } from '../coordinator/store/unit-layout.js';
import { AUDITS_PER_SLOT } from '../coordinator/audit-queue.js';
import { BullmqReference } from './lib/bullmq-ref.js';
import { killAll, threadCpuSeconds } from './lib/procs.js';
import { startBenchRedis, type BenchRedis } from './lib/redis.js';
import { fmt, row } from './lib/stats.js';
import { printSection } from './lib/report.js';
import { createScriptJob, leaseDirect, leaseDirectMany, type Leased } from '../test/helpers/script-job.js';

export const SIZES = {
  full: { rounds: 120, bullJobs: 20_000, audits: 2_000 },
  smoke: { rounds: 3, bullJobs: 300, audits: 64 },
};

const BATCH = 64;
// A key search result as hosts send it (bench/sim answers alike): the shape matters little, its size a bit.
const RESULT = JSON.stringify({ found: [], checked: 2 ** 20, digest: 'f'.repeat(64), blocks: Array.from({ length: 8 }, (_, i) => `${'ab'.repeat(8)}${i}`) });

type Step = 'lease' | 'report' | 'read' | 'audit' | 'validate' | 'credit';
const STEPS: Step[] = ['lease', 'report', 'read', 'audit', 'validate', 'credit'];
/** Audits a coordinator runs at once in this benchmark (its verifier threads): the claim size. */
const AUDIT_SLOTS = 2;
/**
 * Rounds whose grants one apply-credit.lua call adds to the totals. A coordinator adds what its last
 * 100 ms of validation granted (credit-ledger.ts); under the throughput section's load (about 3,000 units/s,
 * rounds of 64) that is about five rounds, so four is on the modest side.
 */
const CREDIT_EVERY = 4;
/**
 * The volunteers' accounts, in two teams: each host belongs to one, as hosts run by volunteers with a
 * few machines each do, so credit reaches accounts and teams and quotas are kept per account.
 */
const ACCOUNTS = ['bench-acct-0', 'bench-acct-1', 'bench-acct-2', 'bench-acct-3'];
const teamOf = (account: string) => `bench-team-${ACCOUNTS.indexOf(account) % 2}`;

/**
 * One round: 64 units, each leased twice, reported twice, read and validated, by hosts that ask for
 * `perHost` units at a time (64: two hosts; 8: sixteen), each asking and reporting in calls of its own
 * unless `gather` (every host's requests in one lease.lua call, and every host's reports in one report.lua
 * call, as a busy coordinator's dispatcher and report queue gather them).
 * With `audit`, the default policy's path: the validator first finds each unit's would-be canonical
 * result unaudited (its unit stays in `validate` for later), asks for the audits, a verifier claims them
 * AUDIT_SLOTS at a time (with each, the unit and the host's trust) and records a passing finding, which
 * takes the audit off the queue (the recomputation itself is the verifier threads' CPU, not Redis'), and
 * the units are read and validated again.
 * Returns Redis CPU seconds per step.
 */
async function round(redis: StoreRedis, keys: Keys, pid: number, jobId: string, r: number, perHost: number, gather: boolean, audit = false): Promise<Record<Step, number>> {
  const cpu: Record<Step, number> = { lease: 0, report: 0, read: 0, audit: 0, validate: 0, credit: 0 };
  const timed = async <T>(step: Step, f: () => Promise<T>): Promise<T> => {
    const before = threadCpuSeconds(pid);
    const out = await f();
    cpu[step] += threadCpuSeconds(pid) - before;
    return out;
  };
  // Fresh hosts each round, as many as it takes for 128 replicas: lease.lua hands out the second
  // replicas of units already out before fresh ones, so each unit's two replicas go to two hosts.
  const hosts = Array.from({ length: (2 * BATCH) / perHost }, (_, i) => `bench-${perHost}-${r}-${i}`);
  // Hosts take turns (fresh units, then their second replicas), so neighbours never share an account.
  const accounts = hosts.map((_, i) => ACCOUNTS[i % ACCOUNTS.length]);
  const leased: Leased[][] = [];
  if (gather) leased.push(...(await timed('lease', () => leaseDirectMany(redis, keys, hosts, perHost, BATCH, accounts))));
  else for (const [i, host] of hosts.entries()) leased.push(await timed('lease', () => leaseDirect(redis, keys, host, perHost, BATCH, accounts[i])));
  let checks = 0;
  const reports = hosts.map((host, h) => leased[h].flatMap((l) => [host, jobId, l.unit, l.replica, 'R', RESULT, 1.5]));
  // One call per host, or every host's report in one call.
  for (const args of gather ? [reports.flat()] : reports) {
    const st = (await timed('report', () => redis.ig_report(keys.prefix, Date.now(), args.length / 7, ...args))) as string[];
    if (st.some((s) => s !== 'ok' && s !== 'check')) throw new Error(`report.lua answered ${st.find((s) => s !== 'ok' && s !== 'check')}`);
    checks += st.filter((s) => s === 'check').length;
  }
  const units = [...new Set(leased.flat().map((l) => Number(l.unit)))].sort((a, b) => a - b);
  if (units.length !== BATCH || checks !== BATCH) throw new Error(`${units.length} units leased, ${checks} reached their quorum; want ${BATCH} of each`);
  const read = () => timed('read', async () => {
    const pipe = redis.pipeline();
    for (const unit of units) pipe.hgetall(keys.key('unit', { job: jobId, unit }));
    return ((await pipe.exec()) ?? []).map(([, h]) => h as Record<string, string>);
  });
  let hashes = await read();
  if (audit) {
    await timed('audit', () => auditUnits(redis, keys, jobId, units));
    hashes = await read();
  }
  // The validator's decision for two agreeing results (validator.ts): valid, replica 0 canonical, both valid.
  const args = units.flatMap((unit, i) => [jobId, unit, hashes[i][UNIT.version], 10, 'valid', 0, 0.0125, 2 ** 20, 2 ** 20 * 1.2e3, 0, 0, 'V', 1, 'V']);
  const replies = (await timed('validate', () => redis.ig_validate(keys.prefix, Date.now(), BATCH, ...args))) as string[];
  if (replies.some((x) => x !== 'ok')) throw new Error(`validate.lua answered ${replies.find((x) => x !== 'ok')}`);
  if ((r + 1) % CREDIT_EVERY === 0) await timed('credit', () => addCredit(redis, keys));
  const twoHosts = (h: Record<string, string>) => h[replicaField('host', 0)] !== h[replicaField('host', 1)] && Number(h[UNIT.reported]) === 2;
  if (!hashes.every(twoHosts)) throw new Error('a unit was not reported twice, by two hosts');
  return cpu;
}

/** Every grant queued so far added to the totals, as the credit ledger adds them. */
async function addCredit(redis: StoreRedis, keys: Keys): Promise<void> {
  for (;;) {
    const [, left] = (await redis.ig_applyCredit(keys.prefix, 1024)) as [number, number];
    if (left === 0) return;
  }
}

/** The audits of `units` (replica 0 of each) as the validator, the audit queue and the verifier make them. */
async function auditUnits(redis: StoreRedis, keys: Keys, jobId: string, units: number[]): Promise<void> {
  const now = Date.now();
  const first = redis.pipeline();
  // The validator: not yet (the unit stays queued for validation, later), and the audits asked for in one write.
  for (const unit of units) first.zadd(keys.key('validate'), 'XX', now + 60_000, `${jobId}.${unit}`);
  first.zadd(keys.key('audits'), 'NX', ...units.flatMap((unit) => [now, `${jobId}.${unit}.0`]));
  await first.exec();
  // The verifier claims AUDITS_PER_SLOT audits per thread (each claim brings the unit and its host's
  // trust); once they have run, one call records their findings, takes them off the queue and claims the next.
  let held = (await redis.ig_claimAudits(keys.prefix, Date.now(), Date.now() + 15_000, AUDIT_SLOTS * AUDITS_PER_SLOT)) as Array<[string, string[]]>;
  while (held.length) {
    const args = held.flatMap(([lid, unitHash]) => {
      if (!unitHash.includes(replicaField('host', 0))) throw new Error(`the claim of ${lid} came without its unit`);
      return [jobId, Number(lid.split('.')[1]), 0, AUDIT.passed, ''];
    });
    const [recorded, next] = (await redis.ig_auditResult(keys.prefix, Date.now(), Date.now() + 15_000, AUDIT_SLOTS * AUDITS_PER_SLOT, held.length, ...args)) as [number[], Array<[string, string[]]>];
    if (recorded.some((x) => x !== 1)) throw new Error('audit-result.lua did not record every finding');
    held = next;
  }
  if ((await redis.zcard(keys.key('audits'))) !== 0) throw new Error('audits left on the queue');
}

/**
 * Redis CPU per audit of the queue alone, against BullMQ as audits used it before 2026-12-07: `n` audits
 * asked for 64 at a time, claimed AUDITS_PER_SLOT per thread and removed together by a call that claims the next; and `n` BullMQ jobs with the options
 * the verifier gave them, added one at a time as the validator added them, drained by a no-op Worker of
 * concurrency AUDIT_SLOTS. Returns [ours, BullMQ] in µs.
 */
async function queueCost(redis: StoreRedis, keys: Keys, url: string, pid: number, n: number, tag: string): Promise<[number, number]> {
  let before = threadCpuSeconds(pid);
  for (let k = 0; k < n; k += BATCH) {
    const now = Date.now();
    await redis.zadd(keys.key('audits'), 'NX', ...Array.from({ length: Math.min(BATCH, n - k) }, (_, i) => [now, `${tag}.${k + i}.0`]).flat());
    // Claimed AUDITS_PER_SLOT per thread, then taken off the queue together by a call that claims the next.
    let held = (await redis.ig_claimAudits(keys.prefix, Date.now(), Date.now() + 15_000, AUDIT_SLOTS * AUDITS_PER_SLOT)) as Array<[string]>;
    while (held.length) {
      const args = held.flatMap(([lid]) => [...lid.split('.').slice(0, 2), 0, '', '']);
      [, held] = (await redis.ig_auditResult(keys.prefix, Date.now(), Date.now() + 15_000, AUDIT_SLOTS * AUDITS_PER_SLOT, held.length, ...args)) as [number[], Array<[string]>];
    }
  }
  const ours = ((threadCpuSeconds(pid) - before) / n) * 1e6;
  const conns = [0, 1].map(() => new Redis(url, { maxRetriesPerRequest: null }));
  const queue = new Queue('audit', { connection: conns[0], prefix: `${tag}:bull` });
  let done = 0;
  const worker = new Worker('audit', async () => {}, { connection: conns[1], prefix: `${tag}:bull`, concurrency: AUDIT_SLOTS });
  worker.on('completed', () => void done++);
  await worker.waitUntilReady();
  before = threadCpuSeconds(pid);
  for (let i = 0; i < n; i++) {
    await queue.add('audit', { jobId: tag, unit: i, replica: 0 }, { jobId: `audit-${tag}.${i}.0`, attempts: 5, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: true, removeOnFail: 1000 });
  }
  while (done < n) await new Promise((r) => setTimeout(r, 20));
  const bull = ((threadCpuSeconds(pid) - before) / n) * 1e6;
  await worker.close();
  await queue.close();
  for (const c of conns) c.disconnect();
  return [ours, bull];
}

const bench: Bench = async (opts) => {
  const size = opts.smoke ? SIZES.smoke : SIZES.full;
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  let server: BenchRedis | undefined;
  let bull: BullmqReference | undefined;
  let client: Redis | undefined;
  try {
    server = await startBenchRedis();
    client = new Redis(server.url, { maxRetriesPerRequest: 3 });
    const redis = registerScripts(client);
    const keys = new Keys('brt');
    for (const account of ACCOUNTS) await client.hset(keys.key('account', { account }), 'name', account, 'team', teamOf(account));
    bull = BullmqReference.start(server.url, 'brtref');
    /**
     * How a round's hosts ask and report: 64 units each is the best case (two hosts per round); 8 each
     * spreads a round over sixteen; and the same sixteen with their requests gathered into one lease.lua
     * call and their reports into one report.lua call, as a busy coordinator does (group-commit.ts).
     */
    const shapes = [
      { id: 'best', perHost: BATCH, gather: false },
      { id: 'spread', perHost: 8, gather: false },
      { id: 'gathered', perHost: 8, gather: true },
      { id: 'audited', perHost: BATCH, gather: false, audit: true },
    ] as const;
    type Shape = (typeof shapes)[number]['id'];
    const ours = Object.fromEntries(shapes.map((x) => [x.id, [] as number[]])) as Record<Shape, number[]>;
    const steps = Object.fromEntries(shapes.map((x) => [x.id, { lease: 0, report: 0, read: 0, audit: 0, validate: 0, credit: 0 }])) as Record<Shape, Record<Step, number>>;
    const bullUs: number[] = [];
    const queueUs: number[] = [];
    const bullAuditUs: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      for (const shape of shapes) {
        // A job of more units than the rounds use: 2 replicas each, no audits (this is the validation path).
        const jobId = `rt${rep}-${shape.id}`;
        await createScriptJob(redis, keys, jobId, { unitsTotal: 10_000_000, minQuorum: 2, targetResults: 2 });
        let sum = 0;
        for (let r = 0; r < size.rounds; r++) {
          const cpu = await round(redis, keys, server.pid, jobId, rep * size.rounds + r, shape.perHost, shape.gather, 'audit' in shape);
          for (const s of Object.keys(cpu) as Step[]) {
            steps[shape.id][s] += cpu[s];
            sum += cpu[s];
          }
        }
        // What the last rounds granted and no call has added yet.
        const before = threadCpuSeconds(server.pid);
        await addCredit(redis, keys);
        const rest = threadCpuSeconds(server.pid) - before;
        steps[shape.id].credit += rest;
        sum += rest;
        ours[shape.id].push((sum / (size.rounds * BATCH * 2)) * 1e6);
        // Out of line, so the next job is the only one served.
        await redis.zrem(keys.key('sched'), jobId);
      }
      const before = threadCpuSeconds(server.pid);
      await bull.rate(size.bullJobs, 50);
      bullUs.push(((threadCpuSeconds(server.pid) - before) / size.bullJobs) * 1e6);
      const [q, b] = await queueCost(redis, keys, server.url, server.pid, size.audits, `aq${rep}`);
      queueUs.push(q);
      bullAuditUs.push(b);
    }
    const results = reps * size.rounds * BATCH * 2;
    // Each valid result of every row was granted 0.0125 (the validator's decision in round()): all of it reached the teams.
    const granted = shapes.length * results * 0.0125;
    const teamCredit = (await Promise.all([0, 1].map((t) => client!.hget(keys.key('team', { team: `bench-team-${t}` }), 'credit')))).reduce((a, c) => a + Number(c), 0);
    if (Math.abs(teamCredit - granted) > 1e-6 * granted) throw new Error(`the teams hold ${teamCredit} credit; ${granted} was granted`);
    const shares = (id: Shape) => STEPS.filter((s) => steps[id][s] > 0).map((s) => `${s} ${fmt((steps[id][s] / results) * 1e6, 1)} µs`).join(', ');
    const ref = { name: 'BullMQ no-op job (addBulk, Worker concurrency 50), Redis CPU per job', values: bullUs };
    return {
      id: 'redis-time',
      title: 'Redis time per validated result, the scripts alone',
      command: 'npm run bench -- --only redis-time',
      rows: [
        row({
          metric: 'Redis CPU per validated result (2 replicas per unit), scripts alone',
          unit: 'µs',
          ours: ours.best,
          ref,
          goal: '<= 20 µs (issue #17)',
          met: (v) => v <= 20,
        }),
        row({
          metric: 'the same, hosts asking for 8 units at a time (16 hosts per round)',
          unit: 'µs',
          ours: ours.spread,
          ref,
        }),
        row({
          metric: 'the same, the 16 hosts\' requests gathered into one lease.lua call and their reports into one report.lua call (as a busy coordinator does)',
          unit: 'µs',
          ours: ours.gathered,
          ref,
        }),
        row({
          metric: 'the best case under the default policy: each unit\'s would-be canonical result audited (audit queue) and the unit validated again',
          unit: 'µs',
          ours: ours.audited,
          ref,
        }),
        row({
          metric: 'Redis CPU per audit, queued, claimed and removed: the audit queue (audit-queue.ts)',
          unit: 'µs',
          ours: queueUs,
          ref: { name: 'a BullMQ job per audit, as audits were queued before (added one at a time, Worker concurrency 2)', values: bullAuditUs },
        }),
      ],
      notes: [
        `Per round, on one job: 64 units, each leased to two hosts (lease.lua), each host reporting its results (report.lua), the validator's read (one HGETALL per unit, pipelined) and one validate.lua call for the 64 units; every ${CREDIT_EVERY} rounds, one apply-credit.lua call adds the credit those rounds granted to the hosts' totals, as a coordinator adds what 100 ms of validation granted (credit-ledger.ts: hosts', accounts' and teams' totals). Each host belongs to one of ${ACCOUNTS.length} accounts in two teams. First row: two hosts per round, asking for 64 units each (the best case: what validate.lua writes per host, account and kind is written once per call). Second row: sixteen hosts asking for 8 each, closer to a grid of many hosts, each reporting in its own call. Third row: the same hosts, served by one lease.lua call and stored by one report.lua call per round, as a coordinator gathers the requests and reports that arrive while its last call runs (group-commit.ts). ${size.rounds} rounds per repetition and per row, ${reps} repetitions; calls one at a time, on a Redis with nothing else to do; fresh hosts every round.`,
        `Fourth row: the first row's rounds under the default policy's path: the validator finds each unit's would-be canonical result unaudited and asks for its audit (one write for the round), a verifier with ${AUDIT_SLOTS} threads claims ${AUDITS_PER_SLOT} audits per thread (each claim brings the unit and its host's trust) and, once they have run, records their passing findings in one call that takes them off the queue and claims the next, then the units are read and validated again (the recomputation is verifier threads' CPU, not Redis'). Fifth row: the queue alone, ${size.audits} audits per repetition asked for 64 at a time, claimed ${AUDITS_PER_SLOT} per thread and taken off the queue together by a call that claims the next, against the same number of BullMQ jobs with the options the verifier gave them before 2026-12-07 (job id, 5 attempts, removed on completion), added one at a time as the validator added them and drained by a no-op Worker of concurrency ${AUDIT_SLOTS}.`,
        `Where the time goes, per validated result over all rounds, 64 per host: ${shares('best')}; 8 per host: ${shares('spread')}; 8 per host, requests and reports gathered: ${shares('gathered')}; default policy: ${shares('audited')}.`,
        `Redis CPU is the CPU time of redis-server's threads from /proc (schedstat, in ns) over the rounds (so parsing commands and writing replies count), divided by the results validated. The goal was set on 2026-11-27 on an Intel Xeon (avx512f) VM; this project's AMD EPYC VMs ran each Redis command 2-2.4 times slower (docs/scaling.md), so across machines compare the ratios to BullMQ's job, not the µs.`,
      ],
    };
  } finally {
    await bull?.close().catch(() => {});
    client?.disconnect();
    await server?.stop().catch(() => {});
    killAll();
  }
};

export default bench;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printSection(await bench({ smoke: process.argv.includes('--smoke'), reps: 3 }));
}
