/**
 * The property the audit rests on: a unit's block digests are the same bits wherever it is computed.
 * The same unit in this thread, in two worker threads and in two other processes (each loading the
 * kernel afresh: its own WebAssembly instances) gives identical block commitments and results.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { TONES } from '../../test/helpers/tones.js';
import kernel from './kernel.js';
import fftscan from './kind.js';
import type { UnitSpec } from './params.js';

const kernelPath = fileURLToPath(new URL('./kernel.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Computes `spec` with the kernel loaded from source, and prints the result as JSON (thread or process). */
const program = (spec: UnitSpec, budget: number) => `
  const { register } = await import('tsx/esm/api');
  register();
  const { default: kernel } = await import(${JSON.stringify(kernelPath)});
  const s = kernel.init(${JSON.stringify(spec)}, undefined);
  while (!kernel.step(s, ${budget}));
  const out = JSON.stringify(kernel.result(s));
  const { parentPort } = await import('node:worker_threads');
  if (parentPort) parentPort.postMessage(out); else process.stdout.write(out);
`;

function inThread(spec: UnitSpec, budget: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const w = new Worker(`(async () => { ${program(spec, budget)} })()`, { eval: true });
    w.once('message', (m: string) => resolve(m));
    w.once('error', reject);
  });
}

function inProcess(spec: UnitSpec, budget: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', program(spec, budget)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

describe('block digests are deterministic', () => {
  it('one unit in this thread, two worker threads and two processes (different slice sizes): identical commitments', async () => {
    const p = fftscan.params.parse({
      source: { format: 'synthetic', seed: 21, sampleRateHz: 16384, centreFrequencyHz: 1e9, sampleCount: 1 << 18, signals: TONES.map((t) => ({ ...t, offsetHz: t.offsetHz / 4, amplitude: 4 * t.amplitude })) },
      fftSize: 16384, maxDrift: 2,
    });
    const plan = fftscan.plan(p);
    if (!plan.ok) throw new Error(plan.error.message);
    const spec = fftscan.unit(p, plan.value, 0);
    const s = kernel.init(spec, undefined);
    while (!kernel.step(s, 1));
    const here = kernel.result(s);
    expect(here.blocks.length).toBeGreaterThan(3);
    expect(here.blocks.some((b) => b.detections > 0)).toBe(true);
    const elsewhere = await Promise.all([inThread(spec, 5), inThread(spec, 1000), inProcess(spec, 3), inProcess(spec, 64)]);
    for (const json of elsewhere) {
      const r = fftscan.result.parse(JSON.parse(json));
      expect(r.blocks).toEqual(here.blocks);
      expect(r).toEqual(here);
    }
  }, 120_000);
});
