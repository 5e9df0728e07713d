/**
 * Installing the worker without cloning, as a volunteer does: `npm install -g` of the tarball the
 * coordinator serves at /download/idlegrid.tgz (into a temporary prefix), then the installed `idlegrid`
 * from a folder outside the repository: --help, `worker --bench`, a worker that completes a unit, and a
 * coordinator of its own that serves /join and the same download. Plus `npx idlegrid` in the checkout,
 * which the package's `bin` sends through npx's cache and the `prepare` script, and `idlegrid service`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDemoJob } from '../../workunits/keysearch/kind.js';
import { freePort } from '../helpers/ports.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { CLI, ROOT, cli, startCoordinatorProcess, submitJob, waitFor, waitForJobEnd, type Proc } from '../helpers/processes.js';

const procs: Proc[] = [];
const dirs: string[] = [];
const tmp = (name: string): string => {
  const d = mkdtempSync(join(tmpdir(), `ig-${name}-`));
  dirs.push(d);
  return d;
};

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A command run to completion in `cwd`, as a person at a shell there would. */
function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 240_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d.toString()));
    p.stderr.on('data', (d) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, out });
    });
  });
}

/** A long-running process of the installed package, killed at the end. */
function start(bin: string, args: string[], cwd: string): Proc {
  const proc = spawn(bin, args, { cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d.toString()));
  proc.stderr!.on('data', (d) => (out += d.toString()));
  const p: Proc = {
    proc,
    output: () => out,
    kill: (signal = 'SIGTERM') => new Promise<void>((res) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return res();
      proc.once('exit', () => res());
      proc.kill(signal);
    }),
  };
  procs.push(p);
  return p;
}

describe('installing the worker without cloning', () => {
  it('npm install -g of the coordinator\'s /download/idlegrid.tgz gives an idlegrid that works from anywhere', async () => {
    const coord = await startCoordinatorProcess(redisUrl(), uniquePrefix('inst'));
    procs.push(coord);

    const res = await fetch(`${coord.url}/download/idlegrid.tgz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const tgz = Buffer.from(await res.arrayBuffer());
    expect(tgz.length).toBe(Number(res.headers.get('content-length')));
    // What npm pack made, with npm's own checksums.
    expect(res.headers.get('etag')).toBe(`"${createHash('sha1').update(tgz).digest('hex')}"`);
    expect(res.headers.get('x-idlegrid-integrity')).toBe(`sha512-${createHash('sha512').update(tgz).digest('base64')}`);
    const listing = spawnSync('tar', ['-tzf', '-'], { input: tgz, encoding: 'utf8' }).stdout.split('\n');
    expect(listing).toEqual(expect.arrayContaining(['package/package.json', 'package/bin/idlegrid.js', 'package/dist/cli/main.js', 'package/dist/dashboard/public/join.html', 'package/docs/joining.md']));
    expect(listing.filter((f) => /\.(map|test\.js)$|^package\/(test|bench|node_modules)\//.test(f))).toEqual([]);

    // The volunteer's command, in a folder of their own with nothing of ours beside it.
    const home = tmp('volunteer');
    const prefix = join(home, 'prefix');
    const npm = await sh('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', `${coord.url}/download/idlegrid.tgz`], home);
    expect(npm.code, npm.out).toBe(0);
    const idlegrid = join(prefix, 'bin', 'idlegrid');
    expect(existsSync(idlegrid)).toBe(true);

    const help = await sh(idlegrid, ['--help'], home);
    expect(help.code, help.out).toBe(0);
    expect(help.out).toMatch(/^Usage: idlegrid/);
    for (const c of ['coordinator', 'worker', 'service', 'submit']) expect(help.out).toContain(`  ${c}`);

    const bench = await sh(idlegrid, ['worker', '--bench', '--bench-seconds', '0.3', '--threads', '1', '--config-dir', join(home, 'bench')], home);
    expect(bench.code, bench.out).toBe(0);
    expect(bench.out).toMatch(/^keysearch +[\d.]+ [kMG]?keys\/s/m);

    const params = makeDemoJob(new TextEncoder().encode('installed worker'), { count: 2 ** 20, unitSize: 2 ** 20 });
    const jobId = await submitJob(coord.url, { kind: 'keysearch', params, policy: { minQuorum: 1, targetResults: 1 } });
    const w = start(idlegrid, ['worker', '--coordinator', coord.url, '--threads', '1', '--suspend-cpu', '0', '--config-dir', join(home, 'worker')], home);
    const doc = await waitForJobEnd(coord.url, jobId, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\nworker: ${w.output().slice(-2000)}`);
    });
    expect(doc.state).toBe('done');
    expect(w.output()).toMatch(new RegExp(`finished ${jobId}\\.0\\.0`));
    await w.kill();

    // The installed package is a whole coordinator too: it serves /join and packs its own download.
    const port = await freePort();
    const own = start(idlegrid, ['coordinator', '--port', String(port), '--redis', redisUrl(), '--prefix', uniquePrefix('inst2'), '--data-dir', join(home, 'data'), '--log-level', 'warn'], home);
    const url = `http://127.0.0.1:${port}`;
    await waitFor('the installed coordinator', async () => {
      if (own.proc.exitCode !== null) throw new Error(`it exited: ${own.output()}`);
      return (await fetch(`${url}/healthz`).catch(() => null))?.ok;
    }, 30_000, 200);
    const join2 = await fetch(`${url}/join`);
    expect(join2.status).toBe(200);
    // Its install commands name it, filled in by the server (the page puts the browser's own address there too).
    expect(await join2.text()).toContain(`npm install -g <span data-origin>${url}</span>/download/idlegrid.tgz`);
    const again = await fetch(`${url}/download/idlegrid.tgz`);
    expect(again.status).toBe(200);
    expect(spawnSync('tar', ['-tzf', '-'], { input: Buffer.from(await again.arrayBuffer()), encoding: 'utf8' }).stdout).toContain('package/dist/cli/main.js');
  }, 300_000);

  it('npx idlegrid in the checkout runs the built CLI without rebuilding it', async () => {
    const stamp = join(ROOT, 'dist', '.build-stamp');
    const before = statSync(stamp).mtimeMs;
    // A fresh npm cache: npx links the project into it and runs `prepare`, as on a first run.
    const r = await sh('npx', ['--yes', 'idlegrid', '--help'], ROOT, { npm_config_cache: tmp('npm-cache'), npm_config_update_notifier: 'false' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('Usage: idlegrid');
    expect(statSync(stamp).mtimeMs).toBe(before);
  }, 120_000);
});

describe('idlegrid service', () => {
  const unitFileIn = (config: string) => join(config, 'systemd', 'user', 'idlegrid-worker.service');

  it('install writes a user unit at the lowest CPU and I/O priority that systemd accepts; remove deletes it', async () => {
    const config = tmp('xdg');
    const env = { XDG_CONFIG_HOME: config };
    const r = await cli(['service', 'install', '--coordinator', 'http://10.1.2.3:8080', '--name', 'lab 50%', '--no-enable'], env);
    expect(r.code, r.stderr).toBe(0);
    const unit = readFileSync(unitFileIn(config), 'utf8');
    expect(unit).toContain(`ExecStart="${process.execPath}" "${CLI}" "worker" "--coordinator" "http://10.1.2.3:8080" "--json" "--name" "lab 50%%"`);
    for (const line of ['Nice=19', 'CPUSchedulingPolicy=idle', 'IOSchedulingClass=idle', 'Restart=on-failure', 'WantedBy=default.target']) expect(unit).toContain(`\n${line}\n`);
    const verify = spawnSync('systemd-analyze', ['verify', unitFileIn(config)], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr.trim()).toBe('');

    const removed = await cli(['service', 'remove'], { ...env, XDG_RUNTIME_DIR: join(config, 'no-runtime'), DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(config, 'no-bus')}` });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`removed ${unitFileIn(config)}`);
    expect(existsSync(unitFileIn(config))).toBe(false);
    expect((await cli(['service', 'remove'], env)).stdout).toMatch(/no idlegrid worker service is installed/);
  });

  it('without a systemd user session, install says what it wrote and what to run', async () => {
    const config = tmp('xdg');
    // No user manager to reach: the same answer on every machine, and nothing enabled for real.
    const r = await cli(['service', 'install', '--coordinator', 'http://10.1.2.3:8080', '--account', 'igk_abcdefghijklmnopqrstuvwx', '--config-dir', join(config, 'worker')],
      { XDG_CONFIG_HOME: config, XDG_RUNTIME_DIR: join(config, 'no-runtime'), DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(config, 'no-bus')}` });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`wrote ${unitFileIn(config)}`);
    expect(r.stderr).toMatch(/^error: systemctl --user daemon-reload failed: .+ The unit is written; in a desktop or ssh session with systemd run: systemctl --user daemon-reload && systemctl --user enable --now idlegrid-worker\.service\n$/);
    // The account key went to the worker's config directory, not into the unit file.
    expect(readFileSync(unitFileIn(config), 'utf8')).not.toContain('igk_');
    expect(JSON.parse(readFileSync(join(config, 'worker', 'account.json'), 'utf8'))).toMatchObject({ key: 'igk_abcdefghijklmnopqrstuvwx' });
  });
});
