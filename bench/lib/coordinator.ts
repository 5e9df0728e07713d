/**
 * A coordinator as its own process, exactly as an operator runs it:
 * `node bin/idlegrid.js coordinator --port P --redis URL --prefix X --log-level warn`.
 * Optionally with the inspector on (to read its heap after a full GC) or with extra node flags
 * (`--cpu-prof` when profiling where the time goes).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../test/helpers/ports.js';
import { Inspector, inspectorUrl } from './inspector.js';
import { CLI, captureOutput, spawnNode, stopProcess, waitFor } from './procs.js';

export interface BenchCoordinator {
  url: string;
  wsUrl: string;
  pid: number;
  proc: ChildProcess;
  output(): string;
  /** The admin token the process was started with (IDLEGRID_ADMIN_TOKEN): submits jobs. */
  token: string;
  /** Present when started with `inspect: true`. */
  inspector?: Inspector;
  stop(): Promise<void>;
}

export interface CoordinatorStart {
  redisUrl: string;
  prefix: string;
  /** Open the inspector (for heap figures after a full GC). */
  inspect?: boolean;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeArgs?: string[];
  /** Open files the process needs (10,000 connections need more than 1,024). */
  fds?: number;
  /** More `idlegrid coordinator` flags (e.g. --data-dir for the file store of recordings). */
  args?: string[];
}

export async function startCoordinator(o: CoordinatorStart): Promise<BenchCoordinator> {
  const port = await freePort();
  const token = `bench_${randomBytes(24).toString('hex')}`;
  const nodeArgs = [...(o.inspect ? ['--inspect=127.0.0.1:0'] : []), ...(o.nodeArgs ?? [])];
  const proc = spawnNode(nodeArgs, CLI, [
    'coordinator', '--port', String(port), '--redis', o.redisUrl, '--prefix', o.prefix,
    '--log-level', 'warn', ...(o.args ?? []),
  ], { fds: o.fds, env: { IDLEGRID_ADMIN_TOKEN: token } });
  const output = captureOutput(proc);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`the coordinator on ${url}`, async () => {
      if (proc.exitCode !== null) throw new Error(`coordinator exited (${proc.exitCode}): ${output().slice(-2000)}`);
      return (await fetch(`${url}/healthz`)).ok;
    }, 30_000, 100);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; its output: ${output().slice(-1500) || '(none)'}`);
  }
  let inspector: Inspector | undefined;
  if (o.inspect) {
    const wsUrl = await waitFor('the coordinator inspector URL', () => inspectorUrl(output()), 10_000);
    inspector = await Inspector.connect(wsUrl);
  }
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    pid: proc.pid!,
    proc,
    token,
    output,
    inspector,
    async stop() {
      inspector?.close();
      await stopProcess(proc, 'SIGTERM', 5_000);
    },
  };
}
