/**
 * Redis failover through Sentinel, and what waiting for replicas costs. Each repetition starts a fresh
 * deployment on loopback (a primary, a replica, three sentinels with down-after-milliseconds 1000) and
 * two coordinator processes given the redis+sentinel:// URL: one with --redis-wait-replicas 0, one with
 * the default 1. Measured in each:
 * - validated results/s of simulated hosts (as in the throughput benchmark) through each coordinator,
 *   windows interleaved: the cost of announcing credit only once a replica holds it;
 * - the replica acknowledgement's own round trip (INCR + WAIT 1 + EXISTS) against a plain GET, and job
 *   submission with and without it;
 * - then, with the hosts asking for work, the primary is SIGKILLed: the time until a sentinel names the
 *   promoted replica, and until the coordinator leases a unit again (its idlegrid_units_leased_total
 *   moves), against the detection timeout itself.
 */
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Keys } from '../coordinator/store/keys.js';
import { connectStore } from '../coordinator/store/redis.js';
import { ReplicaAck } from '../coordinator/store/replica-ack.js';
import type { SentinelGroup } from '../test/helpers/sentinel.js';
import type { Bench, BenchRow } from './section.js';
import { startCoordinator, type BenchCoordinator } from './lib/coordinator.js';
import { keysearchBody, submitJob } from './lib/jobs.js';
import { loadWindow, simProblems, type LoadWindow } from './lib/load.js';
import { killAll, sleep } from './lib/procs.js';
import { startBenchSentinel, type BenchRedis } from './lib/redis.js';
import { printSection } from './lib/report.js';
import { SimGroup } from './lib/sim.js';
import { fmt, percentile, row } from './lib/stats.js';

export const SIZES = {
  full: { hosts: 8, warmMs: 1_000, windowMs: 3_000, acks: 200, submits: 20 },
  smoke: { hosts: 2, warmMs: 300, windowMs: 800, acks: 10, submits: 3 },
};
const DOWN_AFTER_MS = 1_000;
const PREFIX = 'bfo';

interface Rep {
  rateOn: number;
  rateOff: number;
  ackMs: number;
  getMs: number;
  submitOnMs: number;
  submitOffMs: number;
  promotedMs: number;
  leasedAgainMs: number;
  problems: string[];
}

async function leasedTotal(c: BenchCoordinator): Promise<number> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('idlegrid_units_leased_total '));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** Median ms of `n` runs of `fn`. */
async function timed(n: number, fn: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return percentile(ms, 50);
}

async function repetition(size: typeof SIZES.full): Promise<Rep> {
  let store: (BenchRedis & { group: SentinelGroup }) | undefined;
  const coords: BenchCoordinator[] = [];
  const sims: SimGroup[] = [];
  const clients: Redis[] = [];
  try {
    store = await startBenchSentinel({ replicas: 1, sentinels: 3, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: 3_000 });
    const { group } = store;
    const redis: BenchRedis = store;
    const client = store.client;
    const [off, on] = await Promise.all([
      startCoordinator({ redisUrl: group.url, prefix: PREFIX, args: ['--redis-wait-replicas', '0'] }),
      startCoordinator({ redisUrl: group.url, prefix: PREFIX }),
    ]);
    coords.push(off, on);
    // No audits and no planted keys: the simulated hosts' results are well formed, not computed.
    const policy = { minQuorum: 2, targetResults: 2, adaptive: false, audit: 0, probation: 0, ringers: 0, decoys: 0 };
    const job = keysearchBody({ units: 10_000_000, unitSize: 2 ** 20, policy });
    await submitJob(on, job);

    const primaryPort = await group.primaryPort();
    const primary = group.servers.find((s) => s.port === primaryPort)!;

    const common = { mode: 'throughput' as const, hosts: size.hosts, processes: 1, threads: 16, batch: 64, heartbeatMs: 15_000, connectConcurrency: 8 };
    const simsOff = await SimGroup.start({ ...common, urls: [off.wsUrl] });
    sims.push(simsOff);
    const simsOn = await SimGroup.start({ ...common, urls: [on.wsUrl] });
    sims.push(simsOn);
    // A host that holds nothing when the primary dies, and asks for work right after: the time measured is
    // the coordinators' and Sentinel's, not that of the simulated hosts, whose leases (and, on the
    // coordinator that does not wait for replicas, acknowledged reports) may have died with the primary and
    // wait for their deadline (docs/scaling.md).
    const simsFresh = await SimGroup.start({ ...common, hosts: 1, urls: [on.wsUrl] });
    sims.push(simsFresh);
    const window = (s: SimGroup, c: BenchCoordinator): Promise<LoadWindow> =>
      loadWindow({ redis, prefix: PREFIX, sims: s, pids: { coordinator: c.pid, redis: redis.pid }, warmMs: size.warmMs, windowMs: size.windowMs });
    const wOff = await window(simsOff, off);
    const wOn = await window(simsOn, on);

    // The acknowledgement alone, from this process, against a plain round trip.
    const ackClient = connectStore(group.url);
    clients.push(ackClient);
    const ack = new ReplicaAck(ackClient, new Keys(PREFIX).key('ackMark'), 1, 1_000, pino({ level: 'silent' }));
    await client.set('bfo:probe', '1');
    const ackMs = await timed(size.acks, () => client.set('bfo:probe', '1').then(() => ack.kept({ key: 'bfo:probe' })));
    const getMs = await timed(size.acks, () => client.get('bfo:probe'));
    // The same policy: the hosts are served these jobs too, and under audits their made-up results would
    // be caught as lies (and everything they had vouched for reopened), which is not what is measured.
    const submitOffMs = await timed(size.submits, () => submitJob(off, keysearchBody({ units: 10, unitSize: 2 ** 20, policy })));
    const submitOnMs = await timed(size.submits, () => submitJob(on, keysearchBody({ units: 10, unitSize: 2 ** 20, policy })));

    // The failover, with hosts asking for work through the coordinator that waits for replicas.
    await simsOn.run();
    await sleep(size.warmMs);
    const t0 = performance.now();
    primary.process.kill('SIGKILL');
    // Not awaited: the wait below is the measurement; a failed run shows there as no lease, with the hosts' view.
    simsFresh.run().catch(() => {});
    const promoted = group.failedOverFrom(primaryPort, 60_000).then(() => performance.now() - t0);
    // Anything counted 100 ms after the kill was answered by the promoted replica (detection alone takes
    // DOWN_AFTER_MS): leases are counted when Redis answers.
    let base: number | undefined;
    let leasedAgainMs = NaN;
    while (performance.now() - t0 < 60_000) {
      const v = await leasedTotal(on);
      const at = performance.now() - t0;
      if (base === undefined) {
        if (at >= 100) base = v;
      } else if (v > base) {
        leasedAgainMs = at;
        break;
      }
      await sleep(10);
    }
    if (!Number.isFinite(leasedAgainMs)) {
      const st = await simsFresh.stats();
      const seen = { closed: st.closed, noWork: st.noWork, errors: st.errors, rejected: st.rejected, samples: st.samples.slice(-5) };
      throw new Error(`no unit was leased within 60 s of killing the primary; the hosts saw ${JSON.stringify(seen)}; the coordinator's last log lines: ${on.output().slice(-3000) || '(none)'}`);
    }
    await simsOn.pause();
    return {
      rateOff: wOff.rate, rateOn: wOn.rate, ackMs, getMs, submitOffMs, submitOnMs,
      promotedMs: await promoted, leasedAgainMs,
      problems: [wOff, wOn].map((w) => simProblems(w.sims)).filter((p): p is string => !!p),
    };
  } finally {
    await Promise.all(sims.map((s) => s.close().catch(() => {})));
    await Promise.all(coords.map((c) => c.stop().catch(() => {})));
    for (const c of clients) c.disconnect();
    await store?.stop().catch(() => {});
  }
}

const bench: Bench = async (opts) => {
  const size = opts.smoke ? SIZES.smoke : SIZES.full;
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  try {
    const runs: Rep[] = [];
    for (let r = 0; r < reps; r++) runs.push(await repetition(size));
    const problems = runs.flatMap((r) => r.problems);
    if (problems.length) throw new Error(`simulated hosts saw errors: ${problems[0]}`);
    const col = (f: (r: Rep) => number) => runs.map(f);
    const rows: BenchRow[] = [
      row({
        metric: 'time from SIGKILL of the primary to the first unit leased again', unit: 'ms', ours: col((r) => r.leasedAgainMs),
        ref: { name: 'sentinel down-after-milliseconds (detection alone)', values: col(() => DOWN_AFTER_MS) },
      }),
      row({ metric: 'time from SIGKILL of the primary to a sentinel naming the promoted replica', unit: 'ms', ours: col((r) => r.promotedMs) }),
      row({
        metric: 'validated results/s, results and credit acknowledged once a replica holds them (--redis-wait-replicas 1)', unit: 'results/s', ours: col((r) => r.rateOn),
        ref: { name: 'the same without waiting (--redis-wait-replicas 0)', values: col((r) => r.rateOff) },
      }),
      row({
        metric: 'replica acknowledgement, one caller (INCR + WAIT 1 + EXISTS, own connection)', unit: 'ms', ours: col((r) => r.ackMs),
        ref: { name: 'a GET round trip', values: col((r) => r.getMs) },
      }),
      row({
        metric: 'job submission latency, --redis-wait-replicas 1', unit: 'ms', ours: col((r) => r.submitOnMs),
        ref: { name: '--redis-wait-replicas 0', values: col((r) => r.submitOffMs) },
      }),
    ];
    return {
      id: 'failover',
      title: 'Redis failover through Sentinel, and the cost of waiting for a replica',
      command: 'npm run bench -- --only failover',
      rows,
      notes: [
        `Each of the ${reps} repetitions starts its own deployment on loopback: a primary, one replica and three sentinels (quorum 2, down-after-milliseconds ${DOWN_AFTER_MS}, failover-timeout 3000), and two coordinator processes given the redis+sentinel:// URL. ${size.hosts} simulated hosts per coordinator (16 threads, 64 units per request, valid results at once; a job of 2 replicas per unit), ${size.windowMs / 1000} s windows after ${size.warmMs / 1000} s warm-up, the two coordinators' windows one after the other.`,
        'Failover: with the hosts of the waiting coordinator asking for work, the primary is SIGKILLed and one more host, connected but idle until then, asks for work; a sentinel is polled for the promoted replica, and the coordinator\'s idlegrid_units_leased_total every 10 ms. The first is detection (down-after-milliseconds) plus the sentinels\' election and the promotion; the second adds the coordinator finding the new primary (ioredis asks the sentinels on reconnect, and hears +switch-master) and answering the requests that waited meanwhile.',
        `Waiting for a replica happens on a connection of its own and is shared by every caller that arrives while one is out (group commit), so no other Redis command waits behind it: a result's acknowledgement to its host (and the validation after it on that connection), the credit a host is told of and a job submission are each delayed by about one acknowledgement (median ${fmt(percentile(col((r) => r.ackMs), 50), 2)} ms here).`,
      ],
    };
  } finally {
    killAll();
  }
};

export default bench;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printSection(await bench({ smoke: process.argv.includes('--smoke'), reps: 3 }));
}
