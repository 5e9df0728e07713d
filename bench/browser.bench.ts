/**
 * The browser volunteer (/join) against the Node worker, in the same run: each kind's kernel per thread
 * in headless Chromium (the page's own compute thread, dashboard/web/join/compute-worker.ts, on a unit
 * far bigger than the measurement) and in a Node worker thread (the compiled kernel the worker loads,
 * bench/lib/kernel-rate.ts), on the same unit, repetitions taken in turns so that the machine's other
 * load falls on both alike. Both at normal OS priority (a tab cannot lower its own), both timed by the
 * time spent inside kernel slices. Goal: the browser at least 0.9x the Node worker per thread.
 * And the seconds from opening /join (a fresh browser profile: nothing cached) and pressing Start to
 * the first unit computing, with a job waiting. Goal: under 5 s.
 */
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import fftscan from '../workunits/fftscan/kind.js';
import { OPS_PER_KEY } from '../workunits/keysearch/params.js';
import { openBrowser } from '../test/helpers/browser.js';
import type { Bench, BenchRow } from './section.js';
import { startCoordinator } from './lib/coordinator.js';
import { keysearchBody, submitJob } from './lib/jobs.js';
import { KEYSEARCH_UNIT, kernelOpsRate } from './lib/kernel-rate.js';
import { printSection } from './lib/report.js';
import { startBenchRedis } from './lib/redis.js';
import { row } from './lib/stats.js';

/** A spike unit at SETI@home's longest FFT (2^17) on a generated recording, as `idlegrid worker --bench` runs. */
function fftUnit(): unknown {
  const params = fftscan.params.parse({
    source: { format: 'synthetic', seed: 1, sampleRateHz: 9765.625, centreFrequencyHz: 1.42e9, sampleCount: 2 ** 20, signals: [] },
    fftSizes: [131072], maxDrift: 20, opsPerUnit: 1e12,
  });
  const plan = fftscan.plan(params);
  if (!plan.ok) throw new Error(plan.error.message);
  return fftscan.unit(params, plan.value, 0);
}

/**
 * Operations per second of computing, on one compute thread of the /join page: a fresh thread runs the
 * unit; the figure is taken between its progress reports, after the first half second (compile, tier-up).
 */
async function browserRate(page: Page, kernelModule: string, spec: unknown, seconds: number): Promise<number> {
  return page.evaluate(async ({ kernelModule, spec, ms }) => {
    const script = Array.from(document.scripts).find((s) => s.src.includes('/join.js'))!.src;
    const worker = new Worker(new URL(`join-compute.js${new URL(script).search}`, script), { type: 'module' });
    try {
      return await new Promise<number>((resolve, reject) => {
        let from: { opsDone: number; computeS: number } | null = null;
        worker.onmessage = (e: MessageEvent<{ type: string; opsDone: number; computeS: number; message?: string }>) => {
          const m = e.data;
          if (m.type !== 'progress') return reject(new Error(`the compute thread ended early: ${m.type} ${m.message ?? ''}`));
          if (!from && m.computeS >= 0.5) from = m;
          else if (from && m.computeS - from.computeS >= ms / 1000) resolve((m.opsDone - from.opsDone) / (m.computeS - from.computeS));
        };
        worker.onerror = (e) => reject(new Error(e.message));
        worker.postMessage({ type: 'run', kernelModule, spec, sliceMs: 100, checkpointMs: 1e9, share: 100, paused: false });
      });
    } finally {
      worker.terminate();
    }
  }, { kernelModule, spec, ms: seconds * 1000 });
}

const bench: Bench = async (opts) => {
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  const seconds = opts.smoke ? 0.3 : 3;
  const redis = await startBenchRedis();
  const coord = await startCoordinator({ redisUrl: redis.url, prefix: 'bench-browser' });
  const b = await openBrowser();
  try {
    const page = await b.page();
    await page.goto(`${coord.url}/join`);
    const chromium = b.context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent)).replace(/.*Chrome\/([\d.]+).*/, '$1');
    const kinds = [
      { name: 'keysearch', kernelModule: 'keysearch/kernel.js', spec: KEYSEARCH_UNIT, unit: 'keys/s', scale: 1 / OPS_PER_KEY, what: 'rc5-32/12/9 keys/s per thread' },
      { name: 'fftscan', kernelModule: 'fftscan/kernel.js', spec: fftUnit(), unit: 'MFLOPS', scale: 1e-6, what: 'fftscan spike search (FFT 2^17) MFLOPS per thread' },
    ];
    const rows: BenchRow[] = [];
    for (const k of kinds) {
      const tab: number[] = [];
      const node: number[] = [];
      for (let r = 0; r < reps; r++) {
        tab.push((await browserRate(page, k.kernelModule, k.spec, seconds)) * k.scale);
        node.push((await kernelOpsRate({ kernelModule: k.kernelModule, spec: k.spec, threads: 1, seconds, nice: false })).perThread * k.scale);
      }
      rows.push(row({ metric: `${k.what}, Chromium tab`, unit: k.unit, ours: tab, ref: { name: 'Node worker thread, same unit, same run', values: node }, goal: '>= 0.9x', met: (_v, ratio) => ratio !== null && ratio >= 0.9 }));
    }

    // From a first visit to the first unit computing, with work waiting for it.
    await submitJob(coord, keysearchBody({ units: 64, unitSize: 2 ** 30, policy: { minQuorum: 1, targetResults: 1 } }));
    const starts: number[] = [];
    for (let r = 0; r < (opts.smoke ? 1 : reps); r++) {
      const fresh = await openBrowser();
      try {
        const p = await fresh.page();
        const t0 = performance.now();
        await p.goto(`${coord.url}/join`);
        const start = p.getByTestId('join-start');
        await start.click(); // waits until the page has enabled it: its scripts loaded and its storage opened
        await p.getByTestId('thread-0-state').filter({ hasText: /^computing$/ }).waitFor({ timeout: 60_000 });
        starts.push((performance.now() - t0) / 1000);
      } finally {
        await fresh.dispose();
      }
    }
    rows.push(row({ metric: 'seconds from opening /join (fresh profile) and pressing Start to the first unit computing', unit: 's', ours: starts, goal: '< 5 s', met: (v) => v < 5 }));
    return {
      id: 'browser',
      title: 'Browser volunteer (/join) vs the Node worker',
      command: 'npm run bench -- --only browser',
      rows,
      notes: [
        `Chromium ${chromium}, headless, the project's flags (test/helpers/browser.ts); the Node reference is a worker thread of this Node stepping the same compiled kernel on the same unit.`,
        `Per thread: ${seconds} s of computing per repetition, each side in turn; both at normal OS priority, timed inside kernel slices (sleeping and waiting excluded).`,
        'First unit: from page.goto to the first thread showing "computing", including loading the page, its scripts (kernels, zod) and its IndexedDB, connecting, hello, the request and the kernel start.',
      ],
    };
  } finally {
    await b.dispose();
    await coord.stop();
    await redis.stop();
  }
};

export default bench;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  printSection(await bench({ smoke: process.argv.includes('--smoke'), reps: 3 }));
}
