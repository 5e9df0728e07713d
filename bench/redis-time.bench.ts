/**
 * Redis time per validated result, the scripts alone: the life of a unit with 2 replicas (a lease of 64
 * fresh units to one host, of their second replicas to another, both hosts' reports, the validator's
 * read of each unit and one validate.lua call) driven straight at a Redis of its own, one call at a
 * time, with no coordinator, hosts or network load beside it. The throughput benchmark measures the same
 * scripts inside a loaded 2-core machine, where Redis shares its cores and caches with everything else;
 * this one is what the scripts cost by themselves, and what changes to them should be judged by
 * (issue #17's goal: 20 µs per validated result).
 *
 * Redis CPU is read from /proc (user + system time of redis-server) over many rounds, so it includes
 * parsing the commands and writing the replies. Reference in the same run, on the same Redis: BullMQ's
 * Redis CPU per no-op job (added with addBulk, drained by its Worker).
 */
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Bench } from './section.js';
import { Keys } from '../coordinator/store/keys.js';
import { registerScripts, type StoreRedis } from '../coordinator/store/scripts.js';
import { UNIT, replicaField } from '../coordinator/store/unit-layout.js';
import { BullmqReference } from './lib/bullmq-ref.js';
import { cpuSeconds, killAll } from './lib/procs.js';
import { startBenchRedis, type BenchRedis } from './lib/redis.js';
import { fmt, row } from './lib/stats.js';
import { printSection } from './lib/report.js';

export const SIZES = {
  full: { rounds: 120, bullJobs: 20_000 },
  smoke: { rounds: 3, bullJobs: 300 },
};

const BATCH = 64;
// A key search result as hosts send it (bench/sim answers alike): the shape matters little, its size a bit.
const RESULT = JSON.stringify({ found: [], checked: 2 ** 20, digest: 'f'.repeat(64), blocks: Array.from({ length: 8 }, (_, i) => `${'ab'.repeat(8)}${i}`) });

type Step = 'lease' | 'report' | 'read' | 'validate';

/** One round: 64 units, each leased twice, reported twice, read and validated. Returns Redis CPU seconds per step. */
async function round(redis: StoreRedis, keys: Keys, pid: number, jobId: string, r: number): Promise<Record<Step, number>> {
  const cpu: Record<Step, number> = { lease: 0, report: 0, read: 0, validate: 0 };
  const timed = async <T>(step: Step, f: () => Promise<T>): Promise<T> => {
    const before = cpuSeconds(pid);
    const out = await f();
    cpu[step] += cpuSeconds(pid) - before;
    return out;
  };
  const hosts = [`bench-a${r}`, `bench-b${r}`];
  const leased: string[][] = [];
  for (const host of hosts) {
    // host, account, now, count, kinds, maxJobs, network (loopback: exempt), threads, leases per thread, a new host's leases
    const flat = (await timed('lease', () => redis.ig_lease(keys.prefix, host, '', Date.now(), BATCH, ',keysearch,', 8, '', 16, 8, BATCH))) as string[];
    if (flat.length !== BATCH * 4 + 2) throw new Error(`lease.lua gave ${(flat.length - 2) / 4} replicas to ${host}: ${flat.slice(-2).join(' ')}`);
    leased.push(Array.from({ length: BATCH }, (_, i) => `${flat[i * 4 + 1]}.${flat[i * 4 + 2]}`));
  }
  for (const [h, host] of hosts.entries()) {
    const args = leased[h].flatMap((u) => {
      const [unit, replica] = u.split('.');
      return [jobId, unit, replica, 'R', RESULT, 1.5];
    });
    const st = (await timed('report', () => redis.ig_report(keys.prefix, host, Date.now(), BATCH, ...args))) as string[];
    const want = h === 0 ? 'ok' : 'check';
    if (st.some((s) => s !== want)) throw new Error(`report.lua answered ${st.find((s) => s !== want)} for ${host}`);
  }
  const units = leased[0].map((u) => Number(u.split('.')[0]));
  const hashes = await timed('read', async () => {
    const pipe = redis.pipeline();
    for (const unit of units) pipe.hgetall(keys.key('unit', { job: jobId, unit }));
    return ((await pipe.exec()) ?? []).map(([, h]) => h as Record<string, string>);
  });
  // The validator's decision for two agreeing results (validator.ts): valid, replica 0 canonical, both valid.
  const args = units.flatMap((unit, i) => [jobId, unit, hashes[i][UNIT.version], 10, 'valid', 0, 0.0125, 2 ** 20, 2 ** 20 * 1.2e3, 0, 0, 'V', 1, 'V']);
  const replies = (await timed('validate', () => redis.ig_validate(keys.prefix, Date.now(), BATCH, ...args))) as string[];
  if (replies.some((x) => x !== 'ok')) throw new Error(`validate.lua answered ${replies.find((x) => x !== 'ok')}`);
  if (!hashes.every((h, i) => h[replicaField('host', 1)] === hosts[1] && Number(h[UNIT.reported]) === 2 && units[i] >= 0)) throw new Error('a unit was not reported twice');
  return cpu;
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
    bull = BullmqReference.start(server.url, 'brtref');
    const ours: number[] = [];
    const bullUs: number[] = [];
    const steps: Record<Step, number> = { lease: 0, report: 0, read: 0, validate: 0 };
    for (let rep = 0; rep < reps; rep++) {
      // A job of more units than the rounds use: 2 replicas each, no audits (this is the validation path).
      const jobId = `rt${rep}`;
      const fields = { id: jobId, kind: 'keysearch', unitsTotal: 10_000_000, minQuorum: 2, targetResults: 2, maxErrorResults: 3, maxTotalResults: 10, delayMs: 3_600_000, adaptive: 0, weightEff: 1 };
      await redis.ig_createJob(keys.prefix, jobId, Date.now(), ...Object.entries(fields).flat());
      let sum = 0;
      for (let r = 0; r < size.rounds; r++) {
        const cpu = await round(redis, keys, server.pid, jobId, rep * size.rounds + r);
        for (const s of Object.keys(cpu) as Step[]) {
          steps[s] += cpu[s];
          sum += cpu[s];
        }
      }
      ours.push((sum / (size.rounds * BATCH * 2)) * 1e6);
      // Out of line, so the next repetition's job is the only one served.
      await redis.zrem(keys.key('sched'), jobId);
      const before = cpuSeconds(server.pid);
      await bull.rate(size.bullJobs, 50);
      bullUs.push(((cpuSeconds(server.pid) - before) / size.bullJobs) * 1e6);
    }
    const results = reps * size.rounds * BATCH * 2;
    const share = (s: Step) => `${s} ${fmt((steps[s] / results) * 1e6, 1)} µs`;
    return {
      id: 'redis-time',
      title: 'Redis time per validated result, the scripts alone',
      command: 'npm run bench -- --only redis-time',
      rows: [
        row({
          metric: 'Redis CPU per validated result (2 replicas per unit), scripts alone',
          unit: 'µs',
          ours,
          ref: { name: 'BullMQ no-op job (addBulk, Worker concurrency 50), Redis CPU per job', values: bullUs },
          goal: '<= 20 µs (issue #17)',
          met: (v) => v <= 20,
        }),
      ],
      notes: [
        `Per round, on one job: lease.lua gives 64 fresh units to one host and their second replicas to another, each host reports its 64 results (report.lua), the validator's read (one HGETALL per unit, pipelined) and one validate.lua call for the 64 units. ${size.rounds} rounds per repetition, ${reps} repetitions; calls one at a time, on a Redis with nothing else to do.`,
        `Where the time goes, per validated result over all rounds: ${(['lease', 'report', 'read', 'validate'] as Step[]).map(share).join(', ')}.`,
        'Redis CPU is redis-server\'s user + system time from /proc over the rounds (so parsing commands and writing replies count), divided by the results validated. The goal was set on a machine that ran each Redis command 2-2.4 times faster than this one (docs/scaling.md).',
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
