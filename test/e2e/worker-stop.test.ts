/**
 * A worker ends promptly and says what is wrong, whatever the network does, with real processes: SIGTERM
 * ends it within 10 s with nothing listening, with a server that accepts the connection and never
 * answers, with one that opens the WebSocket and never answers hello, and with a real coordinator frozen
 * (SIGSTOP) while a unit runs, whose checkpoint is still written; `--quiet` still warns, once, when the
 * coordinator cannot be reached.
 */
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDemoJob } from '../../workunits/keysearch/kind.js';
import { freePort } from '../helpers/ports.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { run, startCoordinatorProcess, startWorkerProcess, submitJob, waitFor, type Proc } from '../helpers/processes.js';

const procs: Proc[] = [];
const servers: Array<{ close(): void }> = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  for (const s of servers) s.close();
});

/** The exit code, once the process has exited; fails the test if it is still running after `ms`. */
function exitWithin(p: Proc, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (p.proc.exitCode !== null) return resolve(p.proc.exitCode);
    const t = setTimeout(() => reject(new Error(`still running ${ms} ms after the signal:\n${p.output()}`)), ms);
    p.proc.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/** A TCP server that keeps every connection open and never sends a byte. */
async function hungServer(): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const srv: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push({ close: () => { for (const s of sockets) s.destroy(); srv.close(); } });
  return { port: (srv.address() as { port: number }).port, sockets };
}

const started = (p: Proc & { configDir: string }) => waitFor('the worker started', async () => existsSync(join(p.configDir, 'control.json')));

async function expectPromptStop(w: Proc): Promise<void> {
  w.proc.kill('SIGTERM');
  expect(await exitWithin(w, 10_000)).toBe(0);
  expect(w.output()).toContain('stopped: worker received SIGTERM');
}

describe('SIGTERM ends a worker within 10 s whatever the network does', () => {
  it('nothing listens at the coordinator address', async () => {
    const w = startWorkerProcess(`http://127.0.0.1:${await freePort()}`);
    procs.push(w);
    await started(w);
    await waitFor('a refused connection', async () => w.output().includes('ECONNREFUSED'));
    await expectPromptStop(w);
  });

  it('a server accepts the connection and never answers', async () => {
    const hung = await hungServer();
    const w = startWorkerProcess(`http://127.0.0.1:${hung.port}`);
    procs.push(w);
    await waitFor('the worker connected to the hung server', async () => hung.sockets.length > 0);
    await expectPromptStop(w);
  });

  it('a server opens the WebSocket and never answers hello', async () => {
    const port = await freePort();
    const wss = new WebSocketServer({ port, host: '127.0.0.1' });
    servers.push(wss);
    let hellos = 0;
    wss.on('connection', (ws) => ws.on('message', () => hellos++));
    const w = startWorkerProcess(`http://127.0.0.1:${port}`);
    procs.push(w);
    await waitFor('the hello, unanswered', async () => hellos > 0);
    await expectPromptStop(w);
  });

  it('the coordinator freezes (SIGSTOP) while a unit runs: the unit is still checkpointed', async () => {
    const coord = await startCoordinatorProcess(redisUrl(), uniquePrefix('wfrozen'));
    procs.push(coord);
    const params = makeDemoJob(new Uint8Array(16).fill(51), { count: 2 ** 31, unitSize: 2 ** 31 });
    await submitJob(coord.url, { kind: 'keysearch', params, policy: { minQuorum: 1, targetResults: 1 } });
    const w = startWorkerProcess(coord.url, 1, ['--checkpoint-interval', '1']);
    procs.push(w);
    const dir = join(w.configDir, 'checkpoints');
    const checkpoint = await waitFor('a checkpoint', async () => readdirSync(dir).find((f) => f.endsWith('.json')), 60_000);
    const before = statSync(join(dir, checkpoint)).mtimeMs;
    coord.proc.kill('SIGSTOP');
    try {
      await expectPromptStop(w);
    } finally {
      coord.proc.kill('SIGCONT');
    }
    // The stop wrote the unit's checkpoint at its last slice, however the coordinator behaved.
    expect(statSync(join(dir, checkpoint)).mtimeMs).toBeGreaterThan(before);
  }, 90_000);
});

describe('worker --quiet', () => {
  it('warns once that the coordinator cannot be reached, not once per retry', async () => {
    // Every connection is accepted and dropped at once: each retry of the worker is one connection here.
    let connections = 0;
    const srv = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    servers.push(srv);
    const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    const w = run(['worker', '--coordinator', url, '--threads', '1', '--config-dir', mkdtempSync(join(tmpdir(), 'ig-quiet-')), '--quiet']);
    procs.push(w);
    await waitFor('four tries', async () => connections >= 4, 30_000);
    const lines = w.output().trim().split('\n');
    expect(lines, w.output()).toHaveLength(1);
    expect(lines[0]).toMatch(/coordinator http:\/\/127\.0\.0\.1:\d+ unreachable \(cannot reach coordinator: .+\); computing what is in hand and trying again with backoff/);
  });
});
