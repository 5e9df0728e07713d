/**
 * Starting hostile hosts (test/helpers/hostile-host.ts) as processes and reading what they did: each on
 * its own loopback address (127.0.0.N: the coordinator sees N different clients) and, where asked, with
 * its own freshly created account, as a Sybil would have.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Behaviour } from './hostile-lies.js';
import { ROOT, waitFor } from './processes.js';

export type { Behaviour };

export interface HostileEvent {
  hostId: string;
  event: string;
  [k: string]: unknown;
}

export interface HostileHost {
  behaviour: Behaviour;
  address: string;
  account?: { id: string; key: string };
  proc: ChildProcess;
  events: HostileEvent[];
  /** Known once it has said hello (see welcomed). */
  hostId?: string;
  /** Lease ids of the results it lied in. */
  lies(): Set<string>;
  /** Lease ids of every result it sent. */
  sent(): Set<string>;
  welcomed(): Promise<void>;
  stop(): Promise<void>;
}

export interface HostileOptions {
  behaviour: Behaviour;
  /** Results computed honestly before it starts lying (to earn trust). */
  honestFirst?: number;
  /** Fraction of blocks a skipper skips. */
  skip?: number;
  /** Units per request. */
  batch?: number;
  threads?: number;
  /** A hoarder that drops its connection too. */
  disconnect?: boolean;
  /** One unit at a time, honest until this many results in a row were valid again after each catch. */
  reprove?: number;
  /** Create an account of its own (POST /api/accounts) and say hello with it. */
  ownAccount?: boolean;
}

let nextAddress = 2;
/** A fresh loopback address per host: 127.0.0.2, .3, ... then 127.0.1.1, ... */
export function loopbackAddress(): string {
  const n = nextAddress++;
  return `127.0.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}

export async function createAccount(url: string, name: string): Promise<{ id: string; key: string }> {
  const res = await fetch(`${url}/api/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  const body = (await res.json()) as { id: string; key: string };
  if (res.status !== 201 && res.status !== 200) throw new Error(`account ${name}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export async function startHostile(url: string, o: HostileOptions): Promise<HostileHost> {
  const address = loopbackAddress();
  const account = o.ownAccount ? await createAccount(url, `${o.behaviour} ${address}`) : undefined;
  const argv = [
    '--import', 'tsx', join(ROOT, 'test/helpers/hostile-host.ts'), '--coordinator', url, '--behaviour', o.behaviour, '--address', address,
    '--honest-first', String(o.honestFirst ?? 0), '--skip', String(o.skip ?? 0.1), '--batch', String(o.batch ?? 8), '--threads', String(o.threads ?? 2),
    ...(account ? ['--account', account.key] : []), ...(o.disconnect ? ['--disconnect'] : []),
    ...(o.reprove !== undefined ? ['--reprove', String(o.reprove)] : []),
  ];
  const proc = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let closed = false;
  const host: HostileHost = {
    behaviour: o.behaviour, address, account, proc, events: [],
    lies: () => new Set(host.events.filter((e) => e.event === 'result' && e.lie).map((e) => e.leaseId as string)),
    sent: () => new Set(host.events.filter((e) => e.event === 'result').map((e) => e.leaseId as string)),
    welcomed: () => waitFor(`the ${o.behaviour} host on ${address} to be welcomed`, async () => {
      if (proc.exitCode !== null) throw new Error(`the ${o.behaviour} host exited (${proc.exitCode}): ${stderr.slice(-1500)}`);
      return host.events.some((e) => e.event === 'welcome');
    }, 30_000).then(() => undefined),
    // Resolves on 'close', not 'exit': 'exit' can come before the last lines of stdout are read, and the
    // scenario counts the lies it told from those lines.
    stop: () => new Promise<void>((res) => {
      if (closed) return res();
      proc.once('close', () => res());
      proc.kill('SIGKILL');
    }),
  };
  proc.once('close', () => { closed = true; });
  let buf = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const e = JSON.parse(buf.slice(0, i)) as HostileEvent;
      buf = buf.slice(i + 1);
      host.hostId = e.hostId;
      host.events.push(e);
      if (e.event === 'crash') process.stderr.write(`hostile ${o.behaviour}: ${String(e.message)}\n`);
    }
  });
  proc.stderr!.on('data', (d) => (stderr += d.toString()));
  return host;
}
