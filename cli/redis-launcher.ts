/**
 * Finding or starting a Redis: `npm start` uses the one on 127.0.0.1:6379 when it answers, else starts
 * redis-server itself (append-only file on, data in a project-local folder) and stops it on exit.
 * Tests and benchmarks start their own on free ports through the same code, replicas and sentinels
 * included (the failover tests and benchmark).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { parseRedisUrl } from '../coordinator/store/redis-url.js';

/**
 * Whether Redis answers at `url` (any form of --redis): PING for one server; through Sentinel, the
 * first sentinel that names the primary, then PING to that primary; for a cluster, any listed node.
 */
export async function pingRedis(url: string, timeoutMs = 500): Promise<boolean> {
  const target = parseRedisUrl(url);
  if (target.kind === 'server') {
    const u = new URL(target.url);
    const reply = await ask(u.hostname, Number(u.port || 6379), ['PING'], timeoutMs);
    return reply !== null && (reply.includes('PONG') || reply.includes('NOAUTH'));
  }
  if (target.kind === 'cluster') {
    for (const n of target.nodes) {
      const reply = await ask(n.host, n.port, ['PING'], timeoutMs);
      if (reply !== null && (reply.includes('PONG') || reply.includes('NOAUTH'))) return true;
    }
    return false;
  }
  for (const s of target.sentinels) {
    const reply = await ask(s.host, s.port, ['SENTINEL', 'get-master-addr-by-name', target.name], timeoutMs);
    const m = reply && /^\*2\r\n\$\d+\r\n([^\r]+)\r\n\$\d+\r\n(\d+)\r\n/.exec(reply);
    if (!m) continue;
    const pong = await ask(m[1], Number(m[2]), ['PING'], timeoutMs);
    return pong !== null && (pong.includes('PONG') || pong.includes('NOAUTH'));
  }
  return false;
}

/** One command in RESP, the first reply's raw text (enough for PING and a sentinel's address), or null. */
function ask(host: string, port: number, args: string[], timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    let got = '';
    const done = (reply: string | null) => {
      sock.destroy();
      resolve(reply);
    };
    sock.setTimeout(timeoutMs, () => done(null));
    sock.on('error', () => done(null));
    sock.on('connect', () => sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    sock.on('data', (d) => {
      got += d.toString();
      // Whole once it ends in CRLF and, for an array, holds all its elements (two here at most).
      if (got.endsWith('\r\n') && (!got.startsWith('*') || got.startsWith('*-1') || got.split('\r\n').length >= 6)) done(got);
    });
  });
}

function which(bin: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The redis-server binary; installs Debian's package where we can (root with apt-get), else says how. */
export function ensureRedisBinary(say: (msg: string) => void = () => {}): string {
  return ensureBinary('redis-server', 'redis-server', say,
    '`brew install redis` (macOS), or point idlegrid at a running Redis with --redis URL or REDIS_URL.');
}

/** The redis-sentinel binary (Debian's redis-sentinel package), for tests and benchmarks of failover. */
export function ensureSentinelBinary(say: (msg: string) => void = () => {}): string {
  return ensureBinary('redis-sentinel', 'redis-sentinel', say, '`brew install redis` (macOS; it includes redis-sentinel).');
}

function ensureBinary(bin: string, pkg: string, say: (msg: string) => void, otherwise: string): string {
  const found = which(bin);
  if (found) return found;
  if (process.getuid?.() === 0 && which('apt-get')) {
    say(`${bin} is not installed; installing Debian's ${pkg} package (apt-get)...`);
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    const installed = which(bin);
    if (r.status === 0 && installed) return installed;
  }
  throw new Error(`${bin} is not installed. Install it with \`sudo apt-get install ${pkg}\` (Debian/Ubuntu), ${otherwise}`);
}

export interface LaunchedRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface RedisStart {
  port: number;
  dir: string;
  appendonly?: boolean;
  /** Start as a replica of this primary. */
  replicaOf?: { host: string; port: number };
  /** Start as a Redis Cluster node (its nodes file in `dir`); `redis-cli --cluster create` joins nodes. */
  cluster?: boolean;
}

export async function startRedis(opts: RedisStart): Promise<LaunchedRedis> {
  const args = [
    '--port', String(opts.port), '--bind', '127.0.0.1', '--dir', opts.dir, '--save', '',
    '--appendonly', opts.appendonly === false ? 'no' : 'yes', '--appendfsync', 'everysec',
    '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning',
    ...(opts.replicaOf ? ['--replicaof', opts.replicaOf.host, String(opts.replicaOf.port)] : []),
    ...(opts.cluster ? ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${opts.port}.conf`, '--cluster-node-timeout', '2000'] : []),
  ];
  mkdirSync(opts.dir, { recursive: true });
  return launch(ensureRedisBinary(), args, opts.port, 'redis-server');
}

export interface SentinelStart {
  port: number;
  /** Where its config file goes (Sentinel rewrites it as it learns the topology). */
  dir: string;
  /** The master name clients ask for (the path of a redis+sentinel:// URL). */
  name: string;
  master: { host: string; port: number };
  /** Sentinels that must agree the primary is down before a failover. */
  quorum: number;
  /** Silence after which a sentinel thinks the primary is down; failover takes about this plus an election. */
  downAfterMs: number;
  failoverTimeoutMs: number;
}

/** A redis-sentinel watching `master` (its replicas and fellow sentinels are discovered through it). */
export async function startSentinel(opts: SentinelStart): Promise<LaunchedRedis> {
  mkdirSync(opts.dir, { recursive: true });
  const conf = join(opts.dir, `sentinel-${opts.port}.conf`);
  writeFileSync(conf, [
    `port ${opts.port}`, 'bind 127.0.0.1', 'daemonize no', `dir ${opts.dir}`, 'logfile ""', 'loglevel warning',
    `sentinel monitor ${opts.name} ${opts.master.host} ${opts.master.port} ${opts.quorum}`,
    `sentinel down-after-milliseconds ${opts.name} ${opts.downAfterMs}`,
    `sentinel failover-timeout ${opts.name} ${opts.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${opts.name} 1`,
    '',
  ].join('\n'));
  return launch(ensureSentinelBinary(), [conf], opts.port, 'redis-sentinel');
}

async function launch(bin: string, args: string[], port: number, what: string): Promise<LaunchedRedis> {
  const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += d.toString()));
  const url = `redis://127.0.0.1:${port}`;
  const started = Date.now();
  while (!(await pingRedis(url, 200))) {
    if (proc.exitCode !== null) throw new Error(`${what} exited at start (code ${proc.exitCode}): ${stderr.trim().slice(0, 500)}`);
    if (Date.now() - started > 10_000) {
      proc.kill('SIGKILL');
      throw new Error(`${what} did not answer on port ${port} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
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
