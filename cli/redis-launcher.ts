/**
 * Finding or starting a Redis: `npm start` uses the one on 127.0.0.1:6379 when it answers, else starts
 * redis-server itself (append-only file on, data in a project-local folder) and stops it on exit.
 * Tests and benchmarks start their own on free ports through the same code.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';

export function pingRedis(url: string, timeoutMs = 500): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = createConnection({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => done(d.toString().includes('PONG') || d.toString().includes('NOAUTH')));
  });
}

function which(bin: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The redis-server binary; installs Debian's package where we can (root with apt-get), else says how. */
export function ensureRedisBinary(say: (msg: string) => void = () => {}): string {
  const found = which('redis-server');
  if (found) return found;
  if (process.getuid?.() === 0 && which('apt-get')) {
    say('redis-server is not installed; installing Debian\'s redis-server package (apt-get)...');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    const installed = which('redis-server');
    if (r.status === 0 && installed) return installed;
  }
  throw new Error(
    'redis-server is not installed. Install it with `sudo apt-get install redis-server` (Debian/Ubuntu), ' +
      '`brew install redis` (macOS), or point idlegrid at a running Redis with --redis URL or REDIS_URL.',
  );
}

export interface LaunchedRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startRedis(opts: { port: number; dir: string; appendonly?: boolean }): Promise<LaunchedRedis> {
  const bin = ensureRedisBinary();
  mkdirSync(opts.dir, { recursive: true });
  const args = [
    '--port', String(opts.port), '--bind', '127.0.0.1', '--dir', opts.dir, '--save', '',
    '--appendonly', opts.appendonly === false ? 'no' : 'yes', '--appendfsync', 'everysec',
    '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning',
  ];
  const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += d.toString()));
  const url = `redis://127.0.0.1:${opts.port}`;
  const started = Date.now();
  while (!(await pingRedis(url, 200))) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited at start (code ${proc.exitCode}): ${stderr.trim().slice(0, 500)}`);
    if (Date.now() - started > 10_000) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${opts.port} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port: opts.port,
    process: proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 5_000).unref();
      }),
  };
}
