/**
 * Child processes of the benchmarks: every one is tracked so that a benchmark that fails, or a run
 * that is interrupted, leaves nothing behind; and the per-process facts the benchmarks read from /proc
 * (resident memory, CPU time) to say where the time and memory go.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'bin', 'idlegrid.js');

const live = new Set<ChildProcess>();

function track(proc: ChildProcess): ChildProcess {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return proc;
}

/** Track a child started elsewhere (redis-server by cli/redis-launcher.ts) so that killAll ends it too. */
export const adopt = (proc: ChildProcess): ChildProcess => track(proc);

/** SIGKILL every child still running (benchmarks call this in `finally`; also on process exit). */
export function killAll(): void {
  for (const p of live) {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
  live.clear();
}
process.once('exit', killAll);

let softLimit: number | undefined;
/** The shell's soft and hard limits on open files. */
export function fileLimits(): { soft: number; hard: number } {
  const r = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' });
  const [soft, hard] = r.stdout.trim().split('\n').map((s) => (s === 'unlimited' ? Infinity : Number(s)));
  softLimit = soft;
  return { soft, hard };
}

/**
 * Spawn `node [nodeArgs] script args` with room for `fds` open files: when the soft limit is lower the
 * child is started through `sh -c 'ulimit -n N; exec node ...'` (up to the hard limit).
 */
export function spawnNode(
  nodeArgs: string[],
  script: string,
  args: string[],
  opts: { fds?: number; ipc?: boolean; env?: Record<string, string> } = {},
): ChildProcess {
  const stdio: Array<'ignore' | 'pipe' | 'ipc'> = ['ignore', 'pipe', 'pipe'];
  if (opts.ipc) stdio.push('ipc');
  const env = { ...process.env, ...opts.env };
  const soft = softLimit ?? fileLimits().soft;
  if (opts.fds && soft < opts.fds) {
    const { hard } = fileLimits();
    const want = Math.min(opts.fds, hard);
    const quoted = [process.execPath, ...nodeArgs, script, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return track(spawn('sh', ['-c', `ulimit -n ${want} && exec ${quoted}`], { cwd: ROOT, env, stdio }));
  }
  return track(spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: ROOT, env, stdio }));
}

/** Fork a TypeScript file of bench/ (run through tsx) with an IPC channel. */
export function forkTs(file: string, args: string[] = [], opts: { fds?: number; nodeArgs?: string[] } = {}): ChildProcess {
  const script = resolve(ROOT, file);
  const nodeArgs = ['--import', 'tsx', ...(opts.nodeArgs ?? [])];
  if (opts.fds && (softLimit ?? fileLimits().soft) < opts.fds) {
    return spawnNode(nodeArgs, script, args, { fds: opts.fds, ipc: true });
  }
  return track(fork(script, args, { cwd: ROOT, execArgv: nodeArgs, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
}

/** Collect a child's stdout+stderr (the last 64 KB), for error messages. */
export function captureOutput(proc: ChildProcess): () => string {
  let out = '';
  const add = (d: Buffer) => {
    out += d.toString();
    if (out.length > 65_536) out = out.slice(-65_536);
  };
  proc.stdout?.on('data', add);
  proc.stderr?.on('data', add);
  return () => out;
}

export function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
  return new Promise((res) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return res();
    proc.once('exit', () => res());
    proc.kill(signal);
    setTimeout(() => proc.kill('SIGKILL'), graceMs).unref();
  });
}

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

let clkTck: number | undefined;
const ticksPerSecond = (): number =>
  (clkTck ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100);
/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / ticksPerSecond();
}

/**
 * CPU seconds the live threads of a process have used so far, to the nanosecond: the sum of
 * /proc/<pid>/task/<tid>/schedstat. cpuSeconds counts in clock ticks (10 ms here), too coarse for a
 * section that times a few milliseconds of Redis work per step; this misses threads that have exited,
 * so it suits a process whose threads live as long as it does (redis-server). Falls back to cpuSeconds
 * where the kernel keeps no schedstat.
 */
export function threadCpuSeconds(pid: number): number {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
    readFileSync(`/proc/${pid}/schedstat`);
  } catch {
    return cpuSeconds(pid);
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ns / 1e9;
}

/** CPU seconds of several processes, keyed by name; a process that is gone reads 0. */
export function cpuOf(pids: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    try {
      out[name] = cpuSeconds(pid);
    } catch {
      out[name] = 0;
    }
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
