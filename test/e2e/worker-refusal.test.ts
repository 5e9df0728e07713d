/**
 * A coordinator's final "no" ends the worker with one line saying what to fix, with real processes:
 * a mistyped --account key exits at once and is not saved; a right key is saved once the coordinator
 * has accepted it; a bad key saved earlier is named with its file and replaced by a right one; a host
 * file copied with another secret is named too. Two workers on one config directory: the second one
 * refuses to start and names the first.
 */
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { cli, run, startCoordinatorProcess, tokenHeaders, waitFor, type Proc } from '../helpers/processes.js';

const REFUSED = 78;
const procs: Proc[] = [];
let url = '';
beforeAll(async () => {
  const coord = await startCoordinatorProcess(redisUrl(), uniquePrefix('wrefuse'));
  procs.push(coord);
  url = coord.url;
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
});

const tmp = () => mkdtempSync(join(tmpdir(), 'ig-refuse-'));
const worker = (dir: string, ...extra: string[]) => ['worker', '--coordinator', url, '--config-dir', dir, '--threads', '1', ...extra];

async function newAccountKey(): Promise<string> {
  const res = await fetch(`${url}/api/accounts`, { method: 'POST', headers: { 'content-type': 'application/json', ...tokenHeaders() }, body: JSON.stringify({ name: 'volunteer' }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

const savedKey = (dir: string) => (JSON.parse(readFileSync(join(dir, 'account.json'), 'utf8')) as { key: string }).key;

describe('account keys are checked with the coordinator before they are saved', () => {
  it('a mistyped key: the worker exits at once with what to do, and saves nothing', async () => {
    const dir = tmp();
    const r = await cli(worker(dir, '--account', `igk_${'x'.repeat(32)}`));
    expect(r.code).toBe(REFUSED);
    expect(r.stderr).toMatch(/^error: the coordinator at http:\/\/127\.0\.0\.1:\d+ does not know the account key given with --account \(igk_xxxx\.\.\.\): check it .*; nothing was saved$/m);
    // No key, no lock and no control file left behind.
    expect(readdirSync(dir).filter((f) => ['account.json', 'worker.lock', 'control.json'].includes(f))).toEqual([]);
  });

  it('a right key is saved once accepted, and later starts use it without the flag', async () => {
    const dir = tmp();
    const key = await newAccountKey();
    const first = run(worker(dir, '--account', key, '--json'));
    procs.push(first);
    await waitFor('the key saved', async () => first.output().includes('the coordinator accepted the account key; saved it to'));
    expect(savedKey(dir)).toBe(key);
    expect(statSync(join(dir, 'account.json')).mode & 0o777).toBe(0o600);
    await first.kill('SIGTERM');
    const again = run(worker(dir, '--json'));
    procs.push(again);
    await waitFor('connected with the saved key', async () => again.output().includes('"state":"waiting for work: no jobs are queued"'));
    await again.kill('SIGTERM');
    expect(again.output()).not.toContain('refused');
  });

  it('a bad key saved earlier is named with its file, and --account with a right key replaces it', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'account.json'), JSON.stringify({ key: `igk_${'b'.repeat(32)}` }), { mode: 0o600 });
    const r = await cli(worker(dir));
    expect(r.code).toBe(REFUSED);
    const file = join(dir, 'account.json');
    expect(r.stderr).toContain(`does not know the account key saved in ${file} (igk_bbbb...): start once with --account KEY to replace it, or delete ${file} to compute without an account`);

    const key = await newAccountKey();
    const fixed = run(worker(dir, '--account', key, '--json'));
    procs.push(fixed);
    await waitFor('the key replaced', async () => savedKey(dir) === key);
    await fixed.kill('SIGTERM');
  });
});

describe('other final refusals', () => {
  it('a host file copied with another secret: exits naming host.json', async () => {
    const dir = tmp();
    const first = run(worker(dir, '--json'));
    procs.push(first);
    await waitFor('registered', async () => first.output().includes('"state":"waiting for work'));
    await first.kill('SIGTERM');
    const copy = tmp();
    const { hostId } = JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')) as { hostId: string };
    writeFileSync(join(copy, 'host.json'), JSON.stringify({ hostId, hostSecret: 's'.repeat(43) }), { mode: 0o600 });
    const r = await cli(worker(copy));
    // Once in a loaded CI run this worker ended by a signal (code -1) with nothing else known: say more if it does again.
    expect(r.code, `signal ${r.signal}; stderr: ${r.stderr.slice(-2000)}`).toBe(REFUSED);
    expect(r.stderr).toContain(`knows host ${hostId} by another secret: ${join(copy, 'host.json')} was changed, or copied from another machine; delete it to join as a new host`);
  });
});

describe('one worker per config directory', () => {
  it('a second worker refuses to start and names the first; the first keeps its connection', async () => {
    const dir = tmp();
    const first = run(worker(dir, '--json'));
    procs.push(first);
    await waitFor('the first connected', async () => first.output().includes('"state":"waiting for work'));
    const second = await cli(worker(dir));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`error: another worker (pid ${first.proc.pid}, started `);
    expect(second.stderr).toContain(`is running with config directory ${dir}: see what it does with \`idlegrid ctl status --config-dir ${dir}\``);
    // The first was never kicked off the coordinator (two workers of one host id used to replace each other).
    expect(first.output()).not.toContain('coordinator down');
    const status = await cli(['ctl', '--config-dir', dir, 'status']);
    expect(status.stdout).toMatch(/\(connected\)/);

    // Killed outright, the first leaves its lock behind; the next start takes it over.
    await first.kill('SIGKILL');
    const third = run(worker(dir, '--json'));
    procs.push(third);
    await waitFor('the third connected', async () => third.output().includes('"state":"waiting for work'));
    expect(JSON.parse(readFileSync(join(dir, 'worker.lock'), 'utf8')).pid).toBe(third.proc.pid);
    await third.kill('SIGTERM');
  });
});
