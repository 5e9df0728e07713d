/** The control interface over a real loopback socket: token, file mode, routes, coded errors. */
import { mkdtempSync, statSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readControlFile } from './control-file.js';
import { ControlServer, type Controlled } from './control-server.js';
import { parseValue } from './preferences.js';

let server: ControlServer | undefined;
afterEach(async () => server?.close());

function target() {
  const calls: string[] = [];
  const t: Controlled = {
    status: () => ({ state: 'running' }),
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
    finish: () => calls.push('finish'),
    set: (k, v) => {
      const r = parseValue(k, v);
      if (r.ok) calls.push(`set ${k}`);
      return r.ok ? { ok: true, value: Object.values(r.value)[0] } : r;
    },
  };
  return { t, calls };
}

describe('control server', () => {
  it('listens on 127.0.0.1, writes its port and token in a 0600 file, removes it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-ctl-'));
    server = new ControlServer(target().t, dir);
    const port = await server.listen();
    const ep = readControlFile(dir);
    expect(ep).toEqual({ port, token: server.token, pid: process.pid });
    expect(statSync(join(dir, 'control.json')).mode & 0o777).toBe(0o600);
    await server.close();
    server = undefined;
    expect(existsSync(join(dir, 'control.json'))).toBe(false);
    expect(() => readControlFile(dir)).toThrow(/no worker is running with config directory/);
  });

  it('refuses requests without the right token, serves the routes with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-ctl-'));
    const { t, calls } = target();
    server = new ControlServer(t, dir);
    const port = await server.listen();
    const url = (p: string) => `http://127.0.0.1:${port}${p}`;
    const auth = { authorization: `Bearer ${server.token}` };
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${server.token}x` }] as Array<Record<string, string>>) {
      const r = await fetch(url('/v1/status'), { headers });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
    expect(await (await fetch(url('/v1/status'), { headers: auth })).json()).toEqual({ state: 'running' });
    for (const p of ['pause', 'resume', 'finish']) expect((await fetch(url(`/v1/${p}`), { method: 'POST', headers: auth })).status).toBe(200);
    const set = await fetch(url('/v1/set'), { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ key: 'cpuTimePercent', value: '60' }) });
    expect(await set.json()).toEqual({ ok: true, key: 'cpuTimePercent', value: 60 });
    const bad = await fetch(url('/v1/set'), { method: 'POST', headers: auth, body: JSON.stringify({ key: 'cpuTimePercent', value: 'lots' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/cpuTimePercent: must be a number, got "lots"/);
    expect((await fetch(url('/v1/reboot'), { method: 'POST', headers: auth })).status).toBe(404);
    expect(calls).toEqual(['pause', 'resume', 'finish', 'set cpuTimePercent']);
  });
});
