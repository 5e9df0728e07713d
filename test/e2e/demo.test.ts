/**
 * `npm start` (idlegrid demo) as a user runs it: with no Redis on its port it starts redis-server, a
 * coordinator and a worker, finds the planted key, and Ctrl-C (SIGINT) stops all of it, Redis included.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pingRedis } from '../../cli/redis-launcher.js';
import { freePort } from '../helpers/ports.js';
import { CLI, waitFor } from '../helpers/processes.js';

describe('npm start (idlegrid demo)', () => {
  it('starts redis, a coordinator and a worker, finds the planted key, and stops everything on Ctrl-C', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ig-demo-'));
    const [port, redisPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: '', IDLEGRID_ADMIN_TOKEN: '' };
    const proc = spawn(process.execPath, [CLI, 'demo', '--port', String(port), '--redis-port', String(redisPort), '--threads', '2'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d.toString()));
    proc.stderr.on('data', (d) => (out += d.toString()));
    try {
      await waitFor('the demo to find its key', async () => out.includes('found the key'), 120_000);
    } catch (err) {
      proc.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${out}`);
    }
    expect(out).toContain(`no Redis on 127.0.0.1:${redisPort}; starting redis-server`);
    expect(out).toMatch(/admin token: iga_/);
    const planted = /the planted key is ([0-9a-f]{18})/.exec(out)![1];
    expect(out).toContain(`found the key ${planted}`);
    expect(await pingRedis(`redis://127.0.0.1:${redisPort}`)).toBe(true);
    const code = await new Promise<number | null>((resolve) => {
      proc.once('exit', (c) => resolve(c));
      proc.kill('SIGINT');
    });
    expect(code).toBe(0);
    expect(out).toContain('stopped');
    expect(await pingRedis(`redis://127.0.0.1:${redisPort}`)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/livez`)).rejects.toThrow();
  });
});
