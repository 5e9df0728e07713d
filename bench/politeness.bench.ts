/**
 * Politeness: does the worker make the desktop feel slower?
 *
 * 1. Slowdown. A CPU-bound foreground task (a fixed xorshift loop in its own process and session, as an
 *    application the user starts would be) is timed alone and with a real worker process computing on
 *    every core at its lowest priority. The worker runs in its own session (`setsid`, as docs/worker.md
 *    advises) and is paused and resumed through its control interface between the two timings; the
 *    pairs are interleaved so both see the same background. Goal: under 5% slower.
 * 2. Pause latency. A worker in this process, with an injected idle source, computes on every core; the
 *    source then reports input (the user is back) and the time until the last compute thread has left
 *    its kernel slice is measured (pool control blocks, worker/pool.ts). Goal: under 1 s.
 *
 * Both against a coordinator process and Redis of the benchmark's own, on a long key search.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVolunteer } from '../worker/volunteer.js';
import type { Sensors } from '../worker/sensors/index.js';
import type { Bench } from './section.js';
import { startCoordinator } from './lib/coordinator.js';
import { keysearchBody, submitJob } from './lib/jobs.js';
import { CLI, captureOutput, sleep, stopProcess, waitFor } from './lib/procs.js';
import { startBenchRedis } from './lib/redis.js';
import { fmt, row } from './lib/stats.js';

const SIZES = {
  full: { foregroundMs: 1500, pairs: 5, pauses: 7 },
  smoke: { foregroundMs: 60, pairs: 1, pauses: 1 },
};

/** The foreground task: a loop of n xorshift steps, timed by itself (start-up excluded). */
const FOREGROUND = 'const n = Number(process.argv[1]); let x = 1; const t0 = performance.now(); for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; } process.stdout.write(JSON.stringify({ ms: performance.now() - t0, x }));';

function foreground(steps: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // detached: its own session, so its own scheduler autogroup, like a program the user starts.
    const p = spawn(process.execPath, ['-e', FOREGROUND, String(steps)], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve((JSON.parse(out) as { ms: number }).ms) : reject(new Error(`foreground task exited ${code}`))));
  });
}

async function control(configDir: string, path: string): Promise<void> {
  const ep = JSON.parse(readFileSync(join(configDir, 'control.json'), 'utf8')) as { port: number; token: string };
  const res = await fetch(`http://127.0.0.1:${ep.port}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ep.token}` } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
}

const politeness: Bench = async (opts) => {
  const size = opts.smoke ? SIZES.smoke : SIZES.full;
  const threads = availableParallelism();
  const redis = await startBenchRedis();
  const coord = await startCoordinator({ redisUrl: redis.url, prefix: 'polite' });
  try {
    // Far more work than the benchmark gets through: the worker never runs dry.
    await submitJob(coord, keysearchBody({ units: 64, unitSize: 2 ** 32, policy: { minQuorum: 1, targetResults: 1, audit: 0, probation: 0 } }));

    // Calibrate the foreground task to about foregroundMs on this machine, alone.
    const probe = 2e7;
    const steps = Math.max(1e6, Math.round((probe * size.foregroundMs) / (await foreground(probe))));

    // 1. Slowdown, against a worker process in its own session.
    const configDir = mkdtempSync(join(tmpdir(), 'idlegrid-bench-polite-'));
    // detached: the worker leads its own session (what `setsid idlegrid worker` does).
    const worker = spawn(process.execPath, [CLI, 'worker', '--coordinator', coord.url, '--config-dir', configDir, '--threads', String(threads), '--json', '--quiet'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = captureOutput(worker);
    const alone: number[] = [];
    const withWorker: number[] = [];
    try {
      await waitFor('the worker computing', async () => {
        if (worker.exitCode !== null) throw new Error(`worker exited: ${output().slice(-500)}`);
        try {
          const ep = JSON.parse(readFileSync(join(configDir, 'control.json'), 'utf8')) as { port: number; token: string };
          const s = (await (await fetch(`http://127.0.0.1:${ep.port}/v1/status`, { headers: { authorization: `Bearer ${ep.token}` } })).json()) as { worker: { units: unknown[] } };
          return s.worker.units.length === threads;
        } catch {
          return false;
        }
      }, 60_000, 200);
      for (let i = 0; i < size.pairs; i++) {
        await control(configDir, '/v1/pause');
        await sleep(300);
        alone.push(await foreground(steps));
        await control(configDir, '/v1/resume');
        await sleep(1200); // the governor's next decision, then the threads back at work
        withWorker.push(await foreground(steps));
      }
    } finally {
      await stopProcess(worker, 'SIGTERM', 10_000);
    }

    // 2. Pause latency, in this process with an injected idle source.
    const idle = { s: 1e9 };
    const sensors: Sensors = {
      idle: { name: 'benchmark idle source', idleSeconds: async () => idle.s },
      onBattery: async () => false,
      temperatureC: async () => null,
      otherCpu: () => 0,
      memoryBytes: () => process.memoryUsage.rss(),
      totalMemoryBytes: 2 ** 40,
      describe: () => ({}),
    };
    const v = await startVolunteer({ coordinator: coord.url, configDir: mkdtempSync(join(tmpdir(), 'idlegrid-bench-pause-')), sensors, control: false, flags: { threads, idleOnly: true } });
    const latencies: number[] = [];
    try {
      for (let i = 0; i < size.pauses; i++) {
        await waitFor('every thread computing', () => v.worker.computingThreads() === threads, 60_000, 5);
        await sleep(300 + Math.random() * 300); // land anywhere in the idle poll's cycle
        idle.s = 0;
        const t0 = performance.now();
        await waitFor('every thread stopped', () => v.worker.computingThreads() === 0, 10_000, 1);
        latencies.push(performance.now() - t0);
        idle.s = 1e9;
      }
    } finally {
      await v.stop('benchmark over');
    }

    const slowdown = row({
      metric: `foreground task (~${size.foregroundMs} ms of one core) with a worker on all ${threads} cores`,
      unit: 'ms', ours: withWorker, ref: { name: 'the same task alone', values: alone },
      goal: '< 5% slower (ratio < 1.05)', met: (_v, r) => r !== null && r < 1.05,
    });
    // Each pair shares its background; the median of the pairs' ratios is the steadier figure.
    const pairs = row({
      metric: 'slowdown of the foreground task, median over interleaved pairs',
      unit: '%', ours: withWorker.map((w, i) => (w / alone[i] - 1) * 100),
      goal: '< 5%', met: (val) => val < 5,
    });
    const pause = row({ metric: 'pause latency: user input to the last compute thread stopped (median)', unit: 'ms', ours: latencies, goal: '< 1000 ms', met: (val) => val < 1000 });
    const worst = row({ metric: 'pause latency, worst of the repetitions', unit: 'ms', ours: [Math.max(...latencies)], goal: '< 1000 ms', met: (val) => val < 1000 });
    return {
      id: 'politeness',
      title: 'Politeness: foreground slowdown and pause latency',
      command: 'npm run bench -- --only politeness',
      rows: [slowdown, pairs, pause, worst],
      notes: [
        `Slowdown pairs: alone ${alone.map((x) => fmt(x)).join(', ')} ms; with the worker ${withWorker.map((x) => fmt(x)).join(', ')} ms.`,
        `Pause latencies: ${latencies.map((x) => fmt(x)).join(', ')} ms (idle polled every 250 ms while computing, kernel slices of ~100 ms).`,
        'The worker runs in its own session and lowers its scheduler autogroup to nice 19 (worker/priority.ts): with autogroups (the Linux desktop default) the kernel shares CPU between sessions before it looks at nice, so a worker sharing a terminal session with nothing else would compete with the user\'s session as an equal.',
        'The machine is shared with other work; the pairs are interleaved so both timings of a pair see the same background.',
      ],
    };
  } finally {
    await coord.stop();
    await redis.stop();
  }
};

export default politeness;
