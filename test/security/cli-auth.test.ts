/**
 * Tokens from the command line, with real processes: a coordinator started without an admin token makes
 * and prints one; the admin makes an owner token; client commands take --token or IDLEGRID_TOKEN and say
 * what to do when they lack one.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encryptBlock } from '../../workunits/keysearch/kind.js';
import { freePort } from '../helpers/ports.js';
import { cli, run, waitFor, type Proc } from '../helpers/processes.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';

const procs: Proc[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
});

const anonymous = { IDLEGRID_TOKEN: '' };

describe('tokens on the command line', () => {
  it('a coordinator without IDLEGRID_ADMIN_TOKEN prints a generated one; owners submit with --token or IDLEGRID_TOKEN', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const coord = run(['coordinator', '--port', String(port), '--redis', redisUrl(), '--prefix', uniquePrefix('cli'), '--data-dir', mkdtempSync(join(tmpdir(), 'ig-data-')), '--log-level', 'warn'], { IDLEGRID_ADMIN_TOKEN: '' });
    procs.push(coord);
    const admin = await waitFor('the generated admin token', async () => /generated admin token (iga_[A-Za-z0-9_-]{43})/.exec(coord.output())?.[1]);
    await waitFor('the coordinator', async () => (await fetch(`${url}/healthz`)).ok);

    const refused = await cli(['token', 'create', '--name', 'alice', '--coordinator', url], anonymous);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/UNAUTHORIZED: .*needs the admin token/);
    const made = await cli(['token', 'create', '--name', 'alice', '--coordinator', url, '--token', admin, '--json'], anonymous);
    expect(made.stderr).toBe('');
    const owner = JSON.parse(made.stdout) as { id: string; token: string };
    expect(owner.token).toMatch(/^igo_/);

    const key = '0000000000000001ff';
    const submit = ['submit', 'keysearch', '--coordinator', url, '--algorithm', 'rc5-32/12/9', '--iv', '0011223344556677', '--plaintext', '54686520756e6b6e',
      '--ciphertext', encryptBlock(key, '0011223344556677', '54686520756e6b6e'), '--start', '000000000000000000', '--count', '4096', '--name', 'alice job'];
    const noToken = await cli(submit, anonymous);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/UNAUTHORIZED: .*--token or IDLEGRID_TOKEN/);
    const sub = await cli([...submit, '--token', owner.token], anonymous);
    expect(sub.stderr).toBe('');
    const id = sub.stdout.trim();

    const status = await cli(['status', id, '--coordinator', url], anonymous);
    expect(status.code).toBe(0);
    expect(status.stderr).toMatch(/hidden: it is private/);
    const result = await cli(['result', id, '--coordinator', url], anonymous);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/private: pass its owner's token/);
    const own = await cli(['result', id, '--coordinator', url], { IDLEGRID_TOKEN: owner.token });
    expect(own.code).toBe(3);
    expect(own.stderr).toMatch(/no result yet/);
    const json = JSON.parse((await cli(['status', id, '--coordinator', url, '--json'], { IDLEGRID_TOKEN: owner.token })).stdout);
    expect(json).toMatchObject({ id, name: 'alice job', owner: owner.id });

    const cancelAnon = await cli(['cancel', id, '--coordinator', url], anonymous);
    expect(cancelAnon.code).toBe(1);
    const cancel = await cli(['cancel', id, '--coordinator', url], { IDLEGRID_TOKEN: owner.token });
    expect(cancel.stdout).toBe(`job ${id}: cancelled\n`);

    const revoke = await cli(['token', 'revoke', owner.id, '--coordinator', url, '--token', admin], anonymous);
    expect(revoke.stdout).toBe(`owner token ${owner.id} revoked\n`);
    expect((await cli([...submit, '--token', owner.token], anonymous)).stderr).toMatch(/not known here/);
  });

  it('account create --save keeps the key in the worker config, readable by its owner only', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const coord = run(['coordinator', '--port', String(port), '--redis', redisUrl(), '--prefix', uniquePrefix('cli'), '--data-dir', mkdtempSync(join(tmpdir(), 'ig-data-')), '--log-level', 'warn']);
    procs.push(coord);
    await waitFor('the coordinator', async () => (await fetch(`${url}/healthz`)).ok);
    const configDir = join(mkdtempSync(join(tmpdir(), 'ig-cfg-')), 'worker');
    const made = await cli(['account', 'create', '--name', 'vol', '--coordinator', url, '--save', '--config-dir', configDir, '--json'], anonymous);
    expect(made.stderr).toBe('');
    const acct = JSON.parse(made.stdout) as { key: string; savedTo: string };
    expect(acct.savedTo).toBe(join(configDir, 'account.json'));
    expect(JSON.parse(readFileSync(acct.savedTo, 'utf8')).key).toBe(acct.key);
    expect(statSync(acct.savedTo).mode & 0o777).toBe(0o600);
  });
});
