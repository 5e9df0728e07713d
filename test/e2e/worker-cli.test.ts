/**
 * `idlegrid worker` and `idlegrid ctl` as a volunteer uses them, as real processes: the help shows every
 * preference with its default, bad preferences stop the start with a message, --bench measures and the
 * figures reach the coordinator in hello, ctl status/pause/resume/set/finish drive a running worker.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDemoJob } from '../../workunits/keysearch/kind.js';
import { PREFERENCE_KEYS, PREFERENCES, formatValue } from '../../worker/preferences.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { cli, run, startCoordinatorProcess, submitJob, waitFor, type Proc } from '../helpers/processes.js';

const procs: Proc[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
});
const tmp = () => mkdtempSync(join(tmpdir(), 'ig-cli-'));
const ctl = (dir: string, ...args: string[]) => cli(['ctl', '--config-dir', dir, ...args]);

describe('idlegrid worker', () => {
  it('--help lists every preference with its default and its config key', async () => {
    const r = await cli(['worker', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const key of PREFERENCE_KEYS) {
      expect(help).toContain(PREFERENCES[key].flag.split(' ')[0]);
      expect(help).toContain(`(default: ${formatValue(PREFERENCES[key].default)}; config key ${key})`);
    }
  });

  it('a bad flag or a bad preferences.json stops the start with a message naming it', async () => {
    const dir = tmp();
    const flag = await cli(['worker', '--config-dir', dir, '--cpu-time', '0']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toBe('error: --cpu-time: cpuTimePercent: must be at least 1\n');
    writeFileSync(join(dir, 'preferences.json'), JSON.stringify({ threads: 'lots' }));
    const file = await cli(['worker', '--config-dir', dir]);
    expect(file.code).toBe(1);
    expect(file.stderr).toMatch(/^error: .*preferences\.json: threads: must be a whole number from 1 to 1024, or a percentage of the cores/);
  });

  it('--bench prints a table, saves it, and the next worker sends it to the coordinator in hello', async () => {
    const dir = tmp();
    const r = await cli(['worker', '--bench', '--bench-seconds', '0.3', '--threads', '1', '--config-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^keysearch +[\d.]+ [kMG]?(keys\/s \([\d.]+ [kMG]?ops\/s\)|ops\/s)/m);
    const saved = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as { kinds: Record<string, { opsPerSThread: number }> };
    expect(saved.kinds.keysearch.opsPerSThread).toBeGreaterThan(1e6);

    const prefix = uniquePrefix('wbench');
    const coord = await startCoordinatorProcess(redisUrl(), prefix);
    procs.push(coord);
    const w = run(['worker', '--coordinator', coord.url, '--config-dir', dir, '--threads', '1', '--json']);
    procs.push(w);
    const redis = new Redis(redisUrl());
    const bench = await waitFor('the host record with its bench', async () => {
      const hostId = (JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')) as { hostId: string }).hostId;
      const b = await redis.hget(`${prefix}:host:${hostId}`, 'bench');
      return b && b !== '{}' ? (JSON.parse(b) as Record<string, number>) : undefined;
    });
    redis.disconnect();
    expect(bench.keysearch).toBeCloseTo(saved.kinds.keysearch.opsPerSThread, -3);
  });
});

describe('idlegrid ctl', () => {
  it('status, pause, resume and set on a running worker; a clear error when none runs', async () => {
    const dir = tmp();
    expect((await ctl(dir, 'status')).stderr).toMatch(/no worker is running with config directory/);
    // No coordinator at all: the worker runs, and says so.
    const w = run(['worker', '--coordinator', 'http://127.0.0.1:9', '--config-dir', dir, '--threads', '1']);
    procs.push(w);
    const first = await waitFor('ctl status', async () => {
      const r = await ctl(dir, 'status');
      return r.code === 0 && /coordinator down/.test(r.stdout) ? r.stdout : undefined;
    });
    expect(first).toMatch(/^state: waiting for work: coordinator down \(cannot reach coordinator/m);
    expect(first).toMatch(/^ {2}cpuTimePercent +100 +default$/m);
    expect(first).toMatch(/idle always \(no display session\)/);

    expect((await ctl(dir, 'pause')).code).toBe(0);
    expect((await ctl(dir, 'status')).stdout).toMatch(/^state: paused: by request \(idlegrid ctl pause\)$/m);
    expect((await ctl(dir, 'resume')).code).toBe(0);
    expect((await ctl(dir, 'status')).stdout).toMatch(/^state: waiting for work: coordinator down/m);

    const set = await ctl(dir, 'set', 'cpuTimePercent', '50');
    expect(set.stdout).toBe('cpuTimePercent = 50\n');
    expect(JSON.parse(readFileSync(join(dir, 'preferences.json'), 'utf8'))).toEqual({ cpuTimePercent: 50 });
    expect((await ctl(dir, 'status')).stdout).toMatch(/^ {2}cpuTimePercent +50 +file$/m);
    const bad = await ctl(dir, 'set', 'idleOnly', 'perhaps');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/idleOnly: must be yes or no/);
    await waitFor('the change in the worker log', async () => w.output().includes('preferences changed: cpuTimePercent=50'));

    await w.kill('SIGTERM');
    expect((await ctl(dir, 'status')).stderr).toMatch(/no worker is running/);
  });

  it('a damaged control.json is named, with what to do whether or not a worker runs', async () => {
    const dir = tmp();
    const file = join(dir, 'control.json');
    writeFileSync(file, '{"port": 80');
    const none = await ctl(dir, 'status');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(new RegExp(`^error: ${file.replace(/[.]/g, '\\.')} is damaged \\(not JSON: .+\\): no worker is running with this config directory: delete the file, then start one with \`idlegrid worker\`\n$`));

    const w = run(['worker', '--coordinator', 'http://127.0.0.1:9', '--config-dir', dir, '--threads', '1']);
    procs.push(w);
    await waitFor('the worker answering', async () => (await ctl(dir, 'status')).code === 0);
    writeFileSync(file, JSON.stringify({ port: 'eighty' }));
    const running = await ctl(dir, 'status');
    expect(running.code).toBe(1);
    expect(running.stderr).toContain(`${file} is damaged (port: `);
    expect(running.stderr).toContain(`): restart the worker (pid ${w.proc.pid}) to rewrite it`);
    await w.kill('SIGTERM');
  });

  it('finish: the worker completes the units in hand, fetches no more, and exits 0', async () => {
    const prefix = uniquePrefix('wfin');
    const coord = await startCoordinatorProcess(redisUrl(), prefix);
    procs.push(coord);
    const params = makeDemoJob(new Uint8Array(16).fill(44), { count: 6 * 2 ** 22, unitSize: 2 ** 22 });
    const jobId = await submitJob(coord.url, { kind: 'keysearch', params, policy: { minQuorum: 1, targetResults: 1 } });
    const dir = tmp();
    const w = run(['worker', '--coordinator', coord.url, '--config-dir', dir, '--threads', '1', '--buffer', '1', '--buffer-minutes', '0']);
    procs.push(w);
    await waitFor('the worker running', async () => (await ctl(dir, 'status')).stdout.includes('state: running'));
    const finish = await ctl(dir, 'finish');
    expect(finish.stdout).toMatch(/finishing the units in hand/);
    const code = await new Promise<number | null>((r) => (w.proc.exitCode !== null ? r(w.proc.exitCode) : w.proc.once('exit', (c) => r(c))));
    expect(code).toBe(0);
    expect(w.output()).toMatch(/stopped: finished the units in hand/);
    // It fetched no more after `finish`: with 1 thread and a buffer of 1 it held at most 2 of the 6 units.
    // Results are validated after they are acknowledged (the coordinator's validation queue): wait for it.
    const done = await waitFor('the results it returned validated', async () => {
      const doc = await (await fetch(`${coord.url}/api/jobs/${jobId}`, { headers: { authorization: `Bearer ${process.env.IDLEGRID_TOKEN}` } })).json() as { progress: { unitsDone: number } };
      return doc.progress.unitsDone >= 1 ? doc.progress.unitsDone : undefined;
    });
    expect(done).toBeLessThan(6);
  });
});
