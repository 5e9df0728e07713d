/**
 * What trust costs and what it buys, under the default policy (one replica per unit, 2 of 32 blocks
 * audited, the first 3 results of each host audited in full, 4 ringers per unit, 8 decoys per job).
 *
 * (a) Work per unit of an honest key search, as a multiple of one computation of every unit: the hosts'
 *     results (counted at the coordinator: idlegrid_results_total) times the kernel's cost with the
 *     unit's 13 targets against 1 (ringers and decoys; measured here), plus the verifier's recomputed
 *     operations (idlegrid_audit_operations_total), over the job's own opsTotal. Once with fresh hosts
 *     (their first results on probation), once with the same hosts past probation. Real `idlegrid
 *     worker` processes, one thread each.
 * (b) A skipping host's escape rate against the formula: a hostile client (test/helpers/hostile-host.ts)
 *     that takes one unit at a time, lies only while trusted (3 valid in a row) and earns trust back after
 *     each catch; when it lies it invents the digests of b of the 32 blocks and drops what they found.
 *     Formula: P(escape) = C(32-b, k)/C(32, k) x (1 - b/32)^n, k = 2 audited blocks, n = 4 ringers,
 *     about (1 - s)^(k+n) with s = b/32.
 * (c) Validated results/s of small units with audits on (the default) against audits off (`audit: 0`,
 *     which was every result's fate before commit-then-audit), same hosts, same run, interleaved.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { getKind } from '../workunits/index.js';
import type { Kernel } from '../workunits/kind.js';
import keysearchKernel from '../workunits/keysearch/kernel.js';
import type { UnitSpec } from '../workunits/keysearch/params.js';
import { startHostile, type HostileHost } from '../test/helpers/hostile.js';
import type { Bench, BenchRow } from './section.js';
import { startCoordinator, type BenchCoordinator } from './lib/coordinator.js';
import { getJob, keysearchBody, submitJob } from './lib/jobs.js';
import { CLI, captureOutput, killAll, sleep, spawnNode, stopProcess, waitFor } from './lib/procs.js';
import { startBenchRedis, type BenchRedis } from './lib/redis.js';
import { fmt, row } from './lib/stats.js';
import { printSection } from './lib/report.js';

export const SIZES = {
  full: { workers: 2, units: 64, unitSize: 2 ** 16, rateUnits: 300, rateUnitSize: 2 ** 10, skipWindowMs: 20_000, kernelKeys: 2 ** 19 },
  smoke: { workers: 1, units: 8, unitSize: 2 ** 12, rateUnits: 16, rateUnitSize: 2 ** 10, skipWindowMs: 2_500, kernelKeys: 2 ** 12 },
};
const BLOCKS = 32;
const AUDIT = 2;
const RINGERS = 4;
const PROBATION = 3;

const choose = (n: number, k: number): number => (k > n ? 0 : Array.from({ length: k }, (_, i) => (n - i) / (k - i)).reduce((a, b) => a * b, 1));
export const escapeFormula = (skipped: number): number => (choose(BLOCKS - skipped, AUDIT) / choose(BLOCKS, AUDIT)) * (1 - skipped / BLOCKS) ** RINGERS;

/** Counters of one coordinator, read from its /metrics. */
async function counters(c: BenchCoordinator): Promise<{ results: number; auditOps: number }> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const read = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return { results: read(/^idlegrid_results_total\{outcome="accepted"\} (\S+)$/m), auditOps: read(/^idlegrid_audit_operations_total (\S+)$/m) };
}

function startWorker(c: BenchCoordinator): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'idlegrid-bench-trust-'));
  return spawnNode([], CLI, ['worker', '--coordinator', c.url, '--threads', '1', '--config-dir', dir, '--json', '--suspend-cpu', '0']);
}

/** Runs a key search to its end; its seconds and the coordinator's counters over it. */
async function runJob(c: BenchCoordinator, units: number, unitSize: number, policy = {}): Promise<{ seconds: number; results: number; auditOps: number; opsTotal: number }> {
  const before = await counters(c);
  const t0 = performance.now();
  // A fresh range each time, so no two jobs share units; exhaustive, so every unit is computed.
  const start = randomBytes(5).toString('hex') + '0000000000';
  const doc = await submitJob(c, keysearchBody({ units, unitSize, exhaustive: true, policy, params: { start: start.slice(0, 18) } }));
  const end = await waitFor(`job ${doc.id}`, async () => {
    const d = await getJob(c, doc.id);
    if (d.state === 'failed' || d.state === 'cancelled') throw new Error(`job ${d.state}`);
    return d.state === 'done' ? d : undefined;
  }, 300_000, 50);
  const seconds = (performance.now() - t0) / 1000;
  const after = await counters(c);
  return { seconds, results: after.results - before.results, auditOps: after.auditOps - before.auditOps, opsTotal: end.progress.opsTotal };
}

/** Seconds per key of the kernel on one unit with `targets` targets, in this process. */
function kernelSeconds(keys: number, targets: number): number {
  const kind = getKind('keysearch')!;
  const kernel = keysearchKernel as Kernel;
  const p = kind.params.parse((keysearchBody({ units: 1, unitSize: keys }) as { params: unknown }).params);
  const plan = kind.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  const unit = kind.unit(p, plan.value, 0) as UnitSpec;
  const spec: UnitSpec = { ...unit, targets: [unit.targets[0], ...Array.from({ length: targets - 1 }, () => randomBytes(8).toString('hex'))] };
  const t0 = performance.now();
  const s = kernel.init(spec, undefined);
  while (!kernel.step(s, 1 << 20));
  kernel.result(s);
  return (performance.now() - t0) / 1000 / keys;
}

/** One skipper for `windowMs`: its lies (sent while trusted) and how many of them were judged valid. */
async function skipWindow(c: BenchCoordinator, skipped: number, windowMs: number): Promise<{ lies: number; escaped: number }> {
  const doc = await submitJob(c, keysearchBody({ units: 1_000_000, unitSize: 4096, params: { start: randomBytes(5).toString('hex') + '00000000' } }));
  const h: HostileHost = await startHostile(c.url, { behaviour: 'skip', skip: skipped / BLOCKS, reprove: PROBATION, ownAccount: true });
  try {
    await h.welcomed();
    await sleep(windowMs);
  } finally {
    await h.stop();
    await fetch(`${c.url}/api/jobs/${doc.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${c.token}` } });
  }
  const credits = new Map(h.events.filter((e) => e.event === 'credit').map((e) => [e.leaseId as string, e.valid as boolean]));
  const judged = [...h.lies()].filter((l) => credits.has(l));
  return { lies: judged.length, escaped: judged.filter((l) => credits.get(l)).length };
}

const bench: Bench = async (opts) => {
  const size = opts.smoke ? SIZES.smoke : SIZES.full;
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  let redis: BenchRedis | undefined;
  let coord: BenchCoordinator | undefined;
  const workers: ChildProcess[] = [];
  try {
    redis = await startBenchRedis();
    coord = await startCoordinator({ redisUrl: redis.url, prefix: 'btrust' });

    // Ringers and decoys: 13 targets per unit (the job's, 4 ringers, 8 decoys) against 1.
    const k1: number[] = [], k13: number[] = [];
    kernelSeconds(size.kernelKeys, 1); // compiles the kernel: not part of either figure
    for (let r = 0; r < reps; r++) {
      // Best of 5, interleaved: the machine is shared, and the least disturbed run is the kernel's cost.
      const one: number[] = [], many: number[] = [];
      for (let i = 0; i < 5; i++) {
        one.push(kernelSeconds(size.kernelKeys, 1));
        many.push(kernelSeconds(size.kernelKeys, 1 + RINGERS + 8));
      }
      k1.push(Math.min(...one));
      k13.push(Math.min(...many));
    }
    const targetsCost = k13.map((t, i) => t / k1[i]);

    const fresh: number[] = [], trusted: number[] = [], freshAudit: number[] = [], trustedAudit: number[] = [], on: number[] = [], off: number[] = [];
    for (let r = 0; r < reps; r++) {
      const ws = Array.from({ length: size.workers }, () => startWorker(coord!));
      workers.push(...ws);
      ws.forEach(captureOutput);
      // In operations, as the job counts them: ringers and decoys change no operation count (their kernel
      // time is its own row below).
      const work = (j: Awaited<ReturnType<typeof runJob>>) => (j.results * (j.opsTotal / size.units) + j.auditOps) / j.opsTotal;
      const a = await runJob(coord, size.units, size.unitSize);
      fresh.push(work(a));
      freshAudit.push(a.auditOps / a.opsTotal);
      const b = await runJob(coord, size.units, size.unitSize);
      trusted.push(work(b));
      trustedAudit.push(b.auditOps / b.opsTotal);
      // Interleaved, the order swapped each repetition, so drift in the machine's load falls on both.
      const rate = async (policy: object) => {
        const j = await runJob(coord!, size.rateUnits, size.rateUnitSize, policy);
        return size.rateUnits / j.seconds;
      };
      if (r % 2 === 0) {
        on.push(await rate({}));
        off.push(await rate({ audit: 0 }));
      } else {
        off.push(await rate({ audit: 0 }));
        on.push(await rate({}));
      }
      await Promise.all(ws.map((w) => stopProcess(w, 'SIGKILL')));
    }

    const skips = [3, 8];
    const escapes = new Map<number, Array<{ lies: number; escaped: number }>>(skips.map((b) => [b, []]));
    for (let r = 0; r < reps; r++) for (const b of skips) escapes.get(b)!.push(await skipWindow(coord, b, size.skipWindowMs));

    const rows: BenchRow[] = [
      row({ metric: 'work per unit, honest key search, hosts past probation ((results + verifier) ops / one computation)', unit: 'x', ours: trusted, goal: '<= 1.25x (moonshot 1.1x)', met: (v) => v <= 1.25 }),
      row({ metric: `work per unit, the same job with ${size.workers} fresh hosts (their first results audited in full)`, unit: 'x', ours: fresh }),
      row({ metric: 'verifier operations / one computation, hosts past probation', unit: 'x', ours: trustedAudit }),
      row({ metric: 'verifier operations / one computation, fresh hosts', unit: 'x', ours: freshAudit }),
      row({ metric: 'kernel time per key with 13 targets (4 ringers, 8 decoys) / with 1 (best of 5 each)', unit: 'x', ours: targetsCost }),
    ];
    const escapeNotes: string[] = [];
    for (const b of skips) {
      const w = escapes.get(b)!;
      const lies = w.reduce((n, x) => n + x.lies, 0), escaped = w.reduce((n, x) => n + x.escaped, 0);
      const p = escapeFormula(b);
      const se = Math.sqrt((p * (1 - p)) / Math.max(1, lies));
      rows.push(row({
        metric: `skipper escape rate, ${b} of 32 blocks skipped (s = ${fmt(b / BLOCKS, 3)}), per lie told while trusted`, unit: 'fraction',
        ours: w.map((x) => (x.lies ? x.escaped / x.lies : 0)), ref: { name: 'formula C(32-b,2)/C(32,2) x (1-s)^4', values: [p] },
        goal: 'within 3 standard errors of the formula (all windows pooled)', met: () => Math.abs(escaped / Math.max(1, lies) - p) <= 3 * se,
      }));
      escapeNotes.push(`s = ${b}/32: ${escaped} of ${lies} lies escaped (${fmt((100 * escaped) / Math.max(1, lies), 1)}%), formula ${fmt(100 * p, 1)}%, standard error ${fmt(100 * se, 1)} points.`);
    }
    rows.push(row({
      metric: `validated results/s, ${size.rateUnits} units of ${size.rateUnitSize} keys, ${size.workers} worker processes past probation, audits on (default)`, unit: 'results/s',
      ours: on, ref: { name: 'the same with audits off (audit: 0)', values: off },
    }));
    return {
      id: 'trust',
      title: 'Trust: what audits, probation and ringers cost, and how often a skipper escapes',
      command: 'npm run bench -- --only trust',
      rows,
      notes: [
        `Work per unit: a key search of ${size.units} units of ${fmt(size.unitSize)} keys (exhaustive) under the default policy, ${size.workers} \`idlegrid worker\` processes of one thread each; ` +
          'first with fresh hosts (each host\'s results are audited in full until 3 in a row have passed, counting results sent before any was judged), then a second job with the same hosts, past probation. ' +
          'Work = results the coordinator accepted x operations per unit, plus the verifier\'s recomputed operations (its metric); one computation = the job\'s opsTotal. Ringers and decoys add no operations: they make a unit carry 13 targets instead of 1, whose kernel time is the row above.',
        ...escapeNotes,
        `Escape: a hostile protocol client (test/helpers/hostile-host.ts --behaviour skip --reprove 3) takes one unit of 4,096 keys at a time, waits for each credit, is honest until 3 results in a row were valid, then lies until caught; ${fmt(size.skipWindowMs / 1000)} s per window, ${reps} windows per skip fraction. A lie after probation is audited on 2 random blocks and must report all 4 ringers of its range.`,
        `Rate: ${size.rateUnits} units of ${size.rateUnitSize} keys per job, the same ${size.workers} workers, jobs with audits on and off interleaved; a rate is units / (submit to done).`,
      ],
    };
  } finally {
    await Promise.all(workers.map((w) => stopProcess(w, 'SIGKILL').catch(() => {})));
    await coord?.stop().catch(() => {});
    await redis?.stop().catch(() => {});
    killAll();
  }
};

export default bench;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printSection(await bench({ smoke: process.argv.includes('--smoke'), reps: 3 }));
}
