/**
 * A hostile volunteer host, run as its own process, written as an attacker would write it: from
 * docs/protocol.md, docs/keysearch.md and docs/fftscan.md alone (a WebSocket, hello, request, results,
 * heartbeats), not from the worker's code. It may compute a unit honestly with the kind's published
 * kernel (an attacker has the source), then lie about it in one of the ways the security suite needs
 * (what each lie is, per kind: hostile-lies-keysearch.ts, hostile-lies-fftscan.ts):
 *
 *   node --import tsx test/helpers/hostile-host.ts --coordinator URL --behaviour B [--address 127.0.0.N]
 *        [--account KEY] [--honest-first N] [--skip 0.1] [--batch N] [--threads N] [--disconnect]
 *        [--reprove N]
 *
 * --reprove N: one unit at a time, each result's credit awaited before the next request, and honest
 * whenever fewer than N of its results in a row were judged valid: an attacker that lies only while
 * trusted and earns its trust back after each catch (the trust benchmark measures its escape rate).
 *
 * random   computes, then corrupts the result at random (a lazy, broken or malicious host).
 * sybil    computes nothing; a wrong answer that is a function of the unit alone, so every Sybil sends
 *          the same one (colluders with their own accounts and addresses trying to fill a quorum).
 * instant  computes nothing and answers "nothing here" at once.
 * skip     computes all but a fraction `--skip` of the unit and claims it all.
 * hide     computes, then hides what the job looks for (the key; a tone).
 * invent   computes, then adds a find that is not there.
 * hoard    asks for units until it is refused, then says nothing more (no heartbeats); with
 *          --disconnect it also drops the connection without a close frame, as a machine that vanishes.
 *
 * Every result is well formed and passes the kind's `check`, so only planted keys, key checks, audits
 * and replicas can tell. One JSON line per event goes to stdout for the test (test/helpers/hostile.ts):
 * welcome, result {leaseId, lie, how}, ack, credit, hoarded.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { getKind } from '../../workunits/index.js';
import { honestResult } from './compute.js';
import { fftscanLie } from './hostile-lies-fftscan.js';
import { keysearchLie } from './hostile-lies-keysearch.js';
import { BEHAVIOURS, type Behaviour, type Lie } from './hostile-lies.js';

const { values: args } = parseArgs({
  options: {
    coordinator: { type: 'string' },
    behaviour: { type: 'string' },
    address: { type: 'string' },
    account: { type: 'string' },
    'honest-first': { type: 'string', default: '0' },
    skip: { type: 'string', default: '0.1' },
    batch: { type: 'string', default: '8' },
    threads: { type: 'string', default: '2' },
    disconnect: { type: 'boolean', default: false },
    reprove: { type: 'string' },
  },
});
const behaviour = args.behaviour as Behaviour;
if (!args.coordinator || !BEHAVIOURS.includes(behaviour)) {
  process.stderr.write(`usage: hostile-host.ts --coordinator URL --behaviour ${BEHAVIOURS.join('|')} [--address A] [--account KEY] [--honest-first N] [--skip S] [--batch N] [--threads N] [--disconnect] [--reprove N]\n`);
  process.exit(2);
}
const honestFirst = Number(args['honest-first']);
const skipFraction = Number(args.skip);
const reprove = args.reprove === undefined ? null : Number(args.reprove);
const batch = reprove === null ? Number(args.batch) : 1;
const hostId = `hostile-${behaviour}-${randomBytes(6).toString('hex')}`;
const out = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ hostId, ...event })}\n`);

interface Unit { leaseId: string; jobId: string; unit: number; kind: string; spec: unknown }

const LIES: Record<string, typeof keysearchLie> = { keysearch: keysearchLie, fftscan: fftscanLie };

async function answer(u: Unit, honestNow: boolean): Promise<Lie> {
  if (honestNow) return { result: await honestResult(u.kind, u.spec), lie: false, how: 'honest' };
  return LIES[u.kind](behaviour, { jobId: u.jobId, unit: u.unit, spec: u.spec, skip: skipFraction });
}

// ---- the connection ----

const url = `${args.coordinator!.replace(/^http/, 'ws').replace(/\/$/, '')}/ws`;
const ws = new WebSocket(url, { perMessageDeflate: false, ...(args.address ? { localAddress: args.address } : {}) });
const send = (m: Record<string, unknown>) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
let answered = 0;
/** Results in a row judged valid (credit messages), for --reprove. */
let streak = 0;
let silent = false;
let hoarded = 0;
let beat: NodeJS.Timeout | undefined;
let retry: NodeJS.Timeout | undefined;
let seq = 0;
let queue: Promise<void> = Promise.resolve();

const request = () => !silent && send({ type: 'request', count: batch });

function goSilent(): void {
  silent = true;
  clearInterval(beat);
  clearTimeout(retry);
  out({ event: 'hoarded', units: hoarded });
  if (args.disconnect) ws.terminate();
}

async function work(units: Unit[]): Promise<void> {
  const items = [];
  for (const u of units) {
    const { result, lie, how } = await answer(u, answered++ < honestFirst || (reprove !== null && streak < reprove));
    out({ event: 'result', leaseId: u.leaseId, jobId: u.jobId, unit: u.unit, lie, how, streak });
    items.push({ leaseId: u.leaseId, result, cpuS: 0.01, elapsedS: 0.01 });
  }
  send({ type: 'results', items });
}

ws.on('open', () => send({
  type: 'hello', protocol: 1, hostId, hostSecret: randomBytes(32).toString('hex'), software: 'hostile/1',
  facts: { cores: Number(args.threads), memoryBytes: 2 ** 31, platform: 'linux', arch: 'x64' }, threads: Number(args.threads),
  kinds: Object.keys(LIES).map((name) => ({ name, version: getKind(name)!.version })), ...(args.account ? { account: args.account } : {}),
}));

ws.on('message', (data) => {
  if (silent) return;
  const msg = JSON.parse(data.toString()) as Record<string, any>;
  switch (msg.type) {
    case 'welcome':
      out({ event: 'welcome', behaviour, address: args.address ?? null, account: args.account ?? null, heartbeatMs: msg.heartbeatMs });
      beat = setInterval(() => send({ type: 'heartbeat', seq: ++seq, sentAt: Date.now(), state: 'running' }), msg.heartbeatMs);
      request();
      return;
    case 'work':
      if (behaviour === 'hoard') {
        hoarded += msg.units.length;
        if (msg.units.length) request();
        else goSilent();
        return;
      }
      queue = queue.then(() => work(msg.units)).catch((err: Error) => { out({ event: 'crash', message: err.stack ?? err.message }); });
      return;
    case 'ack':
      for (const i of msg.items) out({ event: 'ack', leaseId: i.leaseId, status: i.status, code: i.error?.code ?? null });
      // One at a time: the next request waits for the credit, or goes now if the result was refused.
      if (reprove === null || msg.items.some((i: { status: string }) => i.status !== 'accepted')) request();
      return;
    case 'no_work':
      // A hoarder has all it can get once it is refused while others still hold units.
      if (behaviour === 'hoard' && hoarded > 0) return goSilent();
      clearTimeout(retry);
      retry = setTimeout(request, Math.min(msg.retryMs, 200));
      return;
    case 'credit':
      out({ event: 'credit', leaseId: msg.leaseId, credit: msg.credit, valid: msg.valid });
      streak = msg.valid ? streak + 1 : 0;
      if (reprove !== null) request();
      return;
    case 'error':
      out({ event: 'error', code: msg.code, message: msg.message, ref: msg.ref ?? null });
      if (msg.ref === 'request') retry = setTimeout(request, 200);
      return;
    default:
      return;
  }
});
ws.on('close', (code) => {
  out({ event: 'closed', code });
  // A vanished hoarder stays a process (the test ends it); every other host is done.
  if (!silent) process.exit(0);
});
ws.on('error', (err) => out({ event: 'socket-error', message: err.message }));
process.on('SIGTERM', () => process.exit(0));
