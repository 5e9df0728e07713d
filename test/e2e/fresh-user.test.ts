/**
 * Every `idlegrid` command as a brand-new user runs it: HOME and XDG_CONFIG_HOME point at empty folders
 * (no ~/.config/idlegrid yet) and no config directory is passed. Each command either works, creating what
 * it needs, or says in one line what to do; none dies on a missing folder.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { cli, run, startCoordinatorProcess, waitFor, type Proc } from '../helpers/processes.js';

const home = mkdtempSync(join(tmpdir(), 'ig-home-'));
const xdg = join(home, 'xdg'); // does not exist yet, as on a machine where nothing has used it
const env = { HOME: home, XDG_CONFIG_HOME: xdg, IDLEGRID_CONFIG_DIR: '', IDLEGRID_COORDINATOR: '' };
const configDir = join(xdg, 'idlegrid');
const fresh = (args: string[]) => cli(args, env);

let coordinator: Proc & { url: string };
const procs: Proc[] = [];

beforeAll(async () => {
  coordinator = await startCoordinatorProcess(redisUrl(), uniquePrefix('fresh'));
  procs.push(coordinator);
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
});

describe('a user with no config directory', () => {
  it('--help and every subcommand\'s --help work', async () => {
    for (const args of [[], ['coordinator'], ['worker'], ['ctl'], ['submit', 'keysearch'], ['submit', 'fftscan'], ['status'], ['result'], ['jobs'], ['cancel'], ['account', 'create'], ['token', 'create'], ['token', 'revoke'], ['demo']]) {
      const r = await fresh([...args, '--help']);
      expect(r.code, `${args.join(' ')} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/Usage: idlegrid/);
    }
  });

  it('worker --bench measures, creates the config directory and saves bench.json there', async () => {
    expect(existsSync(configDir)).toBe(false);
    const r = await fresh(['worker', '--bench', '--bench-seconds', '0.2', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const saved = JSON.parse(readFileSync(join(configDir, 'bench.json'), 'utf8')) as { kinds: Record<string, unknown> };
    expect(Object.keys(saved.kinds).sort()).toEqual(['fftscan', 'keysearch']);
  });

  it('ctl with no worker running says how to start one', async () => {
    const r = await fresh(['ctl', 'status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: no worker is running with config directory .*; start one with `idlegrid worker`/);
  });

  it('account create --save, token create/revoke, submit, status, result, jobs and cancel work', async () => {
    const url = coordinator.url;
    const acct = await fresh(['account', 'create', '--name', 'Newcomer', '--save', '--coordinator', url, '--json']);
    expect(acct.code, acct.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(configDir, 'account.json'), 'utf8')).key).toBe(JSON.parse(acct.stdout).key);

    const tok = await fresh(['token', 'create', '--name', 'lab', '--coordinator', url, '--json']);
    expect(tok.code, tok.stderr).toBe(0);
    const { id: tokenId } = JSON.parse(tok.stdout) as { id: string };

    const sub = await fresh(['submit', 'keysearch', '--algorithm', 'rc5-32/12/9', '--iv', '0000000000000000', '--plaintext', '54686520756e6b6e',
      '--ciphertext', '0000000000000000', '--start', '000000000000000000', '--count', '4096', '--coordinator', url, '--json']);
    expect(sub.code, sub.stderr).toBe(0);
    const job = JSON.parse(sub.stdout) as { id: string };
    for (const args of [['status', job.id], ['jobs']]) {
      const r = await fresh([...args, '--coordinator', url]);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    const result = await fresh(['result', job.id, '--coordinator', url]);
    expect(result.stderr).toBe(`job ${job.id} has no result yet (state: queued); try \`idlegrid status ${job.id}\`\n`);
    const cancel = await fresh(['cancel', job.id, '--coordinator', url]);
    expect(cancel.code, cancel.stderr).toBe(0);
    const revoke = await fresh(['token', 'revoke', tokenId, '--coordinator', url]);
    expect(revoke.code, revoke.stderr).toBe(0);
  });

  it('worker starts with the saved account, makes its host id and control file, and ctl reaches it', async () => {
    const w = run(['worker', '--coordinator', coordinator.url, '--threads', '1', '--json'], env);
    procs.push(w);
    const status = await waitFor('ctl status to reach the connected worker', async () => {
      if (w.proc.exitCode !== null) throw new Error(`worker exited: ${w.output()}`);
      const r = await fresh(['ctl', 'status', '--json']);
      return r.code === 0 && (JSON.parse(r.stdout) as { worker: { connected: boolean } }).worker.connected ? r : undefined;
    }, 30_000).catch((err: Error) => { throw new Error(`${err.message}\n${w.output()}`); });
    expect(JSON.parse(status.stdout).worker.hostId).toBe(JSON.parse(readFileSync(join(configDir, 'host.json'), 'utf8')).hostId);
    await w.kill('SIGTERM');
    expect(w.proc.exitCode, w.output()).toBe(0);
  });
});
