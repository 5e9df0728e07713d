/** Real processes for end-to-end tests: `node bin/idlegrid.js ...`, killed for real (SIGKILL where claimed). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from '../../bench/lib/procs.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'idlegrid.js');

export interface Proc {
  proc: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function run(args: string[], env: Record<string, string> = {}): Proc {
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d.toString()));
  proc.stderr!.on('data', (d) => (out += d.toString()));
  return {
    proc,
    output: () => out,
    kill: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<void>((res) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return res();
        proc.once('exit', () => res());
        proc.kill(signal);
      }),
  };
}

/** Run a CLI command to completion. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const proc = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d.toString()));
    proc.stderr.on('data', (d) => (stderr += d.toString()));
    // code -1: ended by `signal` (kept, so that a failed assertion can say which).
    proc.on('exit', (code, signal) => res({ code: code ?? -1, signal, stdout, stderr }));
  });
}

/** Poll until `fn` gives a value (one helper for tests and benchmarks). */
export { waitFor };

/**
 * A coordinator process. Recordings go to the default store (Redis); pass `--data-dir` in `extra` for the
 * file store.
 */
export async function startCoordinatorProcess(redisUrl: string, prefix: string, extra: string[] = [], fixedPort?: number): Promise<Proc & { url: string; port: number }> {
  const port = fixedPort ?? (await freePort());
  const p = run(['coordinator', '--port', String(port), '--redis', redisUrl, '--prefix', prefix, '--log-level', 'warn', ...extra]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`coordinator on ${url}`, async () => {
    if (p.proc.exitCode !== null) throw new Error(`coordinator exited: ${p.output()}`);
    return (await fetch(`${url}/healthz`)).ok;
  });
  return { ...p, url, port };
}

/** The test run's token (IDLEGRID_TOKEN, the admin's; test/global-setup.ts) as a fetch header. */
export const tokenHeaders = (): Record<string, string> => (process.env.IDLEGRID_TOKEN ? { authorization: `Bearer ${process.env.IDLEGRID_TOKEN}` } : {});

/** Submit a job over HTTP and return its id. */
export async function submitJob(url: string, body: unknown): Promise<string> {
  const res = await fetch(`${url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', ...tokenHeaders() }, body: JSON.stringify(body) });
  const doc = (await res.json()) as { id?: string; error?: { message: string } };
  if (!res.ok || !doc.id) throw new Error(`submit failed: HTTP ${res.status} ${JSON.stringify(doc)}`);
  return doc.id;
}

export async function jobDoc(url: string, id: string): Promise<{ state: string; result: any; progress: { unitsDone: number; unitsTotal: number }; failedUnits: unknown[] }> {
  return (await fetch(`${url}/api/jobs/${id}`, { headers: tokenHeaders() })).json() as never;
}

export async function waitForJobEnd(url: string, id: string, timeoutMs = 120_000) {
  return waitFor(`job ${id} to end`, async () => {
    const d = await jobDoc(url, id);
    return ['done', 'failed', 'cancelled'].includes(d.state) ? d : undefined;
  }, timeoutMs);
}

export function startWorkerProcess(url: string, threads = 1, extra: string[] = []): Proc & { configDir: string } {
  const configDir = mkdtempSync(join(tmpdir(), 'ig-worker-'));
  return { ...run(['worker', '--coordinator', url, '--threads', String(threads), '--config-dir', configDir, '--json', ...extra]), configDir };
}
