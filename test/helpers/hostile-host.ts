/**
 * A hostile volunteer host, run as its own process, written as an attacker would write it: from
 * docs/protocol.md and docs/keysearch.md alone (a WebSocket, hello, request, results, heartbeats), not from
 * the worker's code. It may compute a unit honestly with the kind's published kernel (an attacker has the
 * source), then lie about it in one of the ways the security suite needs:
 *
 *   node --import tsx test/helpers/hostile-host.ts --coordinator URL --behaviour B [--address 127.0.0.N]
 *        [--account KEY] [--honest-first N] [--skip 0.1] [--batch N] [--threads N] [--disconnect]
 *
 * random   computes, then corrupts the result at random: every block digest invented, one block's
 *          digest invented, or a found key dropped (a lazy, broken or malicious host).
 * sybil    computes nothing; a wrong answer that is a function of the unit alone, so every Sybil sends
 *          the same one (colluders with their own accounts and addresses trying to fill a quorum).
 * instant  computes nothing and answers at once: the right key count, an invented digest, no key found.
 * skip     computes, then invents the digests of a fraction `--skip` of the blocks (at least one) and
 *          drops what those blocks found: what a host that computes 90% of a unit can send.
 * hide     computes, then drops every found key whose target is in every unit it has seen (the real
 *          target is one of those): a host that wants the job to miss its key.
 * invent   computes, then adds a found key that does not open its target.
 * hoard    asks for units until it is refused, then says nothing more (no heartbeats); with
 *          --disconnect it also drops the connection without a close frame, as a machine that vanishes.
 *
 * Every result is well formed (the right key count, one digest per audit block, blocks that add up to
 * the digest), so only planted keys, key checks and audits can tell. One JSON line per event goes to
 * stdout for the test (test/helpers/hostile.ts): welcome, result {leaseId, lie, how}, ack, credit, hoarded.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { honestResult } from './compute.js';

const BEHAVIOURS = ['random', 'sybil', 'instant', 'skip', 'hide', 'invent', 'hoard'] as const;
type Behaviour = (typeof BEHAVIOURS)[number];

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
  },
});
const behaviour = args.behaviour as Behaviour;
if (!args.coordinator || !BEHAVIOURS.includes(behaviour)) {
  process.stderr.write(`usage: hostile-host.ts --coordinator URL --behaviour ${BEHAVIOURS.join('|')} [--address A] [--account KEY] [--honest-first N] [--skip S] [--batch N] [--threads N] [--disconnect]\n`);
  process.exit(2);
}
const honestFirst = Number(args['honest-first']);
const skipFraction = Number(args.skip);
const batch = Number(args.batch);
const hostId = `hostile-${behaviour}-${randomBytes(6).toString('hex')}`;
const out = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ hostId, ...event })}\n`);

// ---- what docs/protocol.md and docs/keysearch.md say a unit and a result are ----

interface Unit { leaseId: string; jobId: string; unit: number; kind: string; spec: Spec }
interface Spec { b: number; iv: string; plaintext: string; targets: string[]; start: string; count: number }
interface Found { key: string; target: number }
interface Answer { found: Found[]; keys: number; digest: string; blocks: string[] }

/** "the unit's count keys cut into runs of ceil(count / 32) keys": at most 32 blocks. */
const blockSize = (count: number) => Math.max(1, Math.ceil(count / 32));
const blockCount = (count: number) => Math.ceil(count / blockSize(count));
const blockOf = (spec: Spec, key: string) => Number((BigInt(`0x${key}`) - BigInt(`0x${spec.start}`)) / BigInt(blockSize(spec.count)));

/** "the blocks add up (sums) and xor up to digest": a made-up set of blocks must, or `check` refuses it at once. */
function digestOf(blocks: string[]): string {
  let sum = 0;
  let xor = 0;
  for (const d of blocks) {
    sum = (sum + parseInt(d.slice(0, 8), 16)) >>> 0;
    xor = (xor ^ parseInt(d.slice(8), 16)) >>> 0;
  }
  return sum.toString(16).padStart(8, '0') + xor.toString(16).padStart(8, '0');
}
const invented = () => randomBytes(8).toString('hex');
const withBlocks = (a: Omit<Answer, 'digest'>): Answer => ({ ...a, digest: digestOf(a.blocks) });

/** Blocks `chosen` get invented digests and lose what they found. */
function replaceBlocks(spec: Spec, honest: Answer, chosen: Set<number>): Answer {
  return withBlocks({
    keys: honest.keys,
    blocks: honest.blocks.map((d, b) => (chosen.has(b) ? invented() : d)),
    found: honest.found.filter((f) => !chosen.has(blockOf(spec, f.key))),
  });
}

function someBlocks(n: number, k: number): Set<number> {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = randomInt(i, n);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return new Set(all.slice(0, k));
}

/** Targets present in every unit this host has been given: the real one is among them. */
let shared: Set<string> | undefined;
let unitsSeen = 0;

async function answer(u: Unit, honestNow: boolean): Promise<{ result: Answer; lie: boolean; how: string }> {
  const spec = u.spec;
  const n = blockCount(spec.count);
  if (honestNow) return { result: (await honestResult(u.kind, spec)) as Answer, lie: false, how: 'honest' };
  switch (behaviour) {
    case 'instant':
      return { result: withBlocks({ found: [], keys: spec.count, blocks: Array.from({ length: n }, invented) }), lie: true, how: 'instant' };
    case 'sybil': {
      const blocks = Array.from({ length: n }, (_, b) => createHash('sha256').update(`sybil|${u.jobId}|${u.unit}|${b}`).digest('hex').slice(0, 16));
      return { result: withBlocks({ found: [], keys: spec.count, blocks }), lie: true, how: 'sybil' };
    }
    default:
      break;
  }
  const honest = (await honestResult(u.kind, spec)) as Answer;
  switch (behaviour) {
    case 'random': {
      const pick = randomInt(3);
      if (pick === 0) return { result: withBlocks({ found: [], keys: spec.count, blocks: honest.blocks.map(invented) }), lie: true, how: 'all blocks invented' };
      if (pick === 1 || !honest.found.length) return { result: replaceBlocks(spec, honest, someBlocks(n, 1)), lie: true, how: 'one block invented' };
      const drop = randomInt(honest.found.length);
      return { result: { ...honest, found: honest.found.filter((_, i) => i !== drop) }, lie: true, how: 'a found key dropped' };
    }
    case 'skip':
      return { result: replaceBlocks(spec, honest, someBlocks(n, Math.max(1, Math.round(skipFraction * n)))), lie: true, how: `skipped ${skipFraction}` };
    case 'hide': {
      const hidden = shared && unitsSeen >= 2 ? honest.found.filter((f) => shared!.has(spec.targets[f.target])) : [];
      if (!hidden.length) return { result: honest, lie: false, how: 'nothing to hide' };
      return { result: { ...honest, found: honest.found.filter((f) => !hidden.includes(f)) }, lie: true, how: `hid ${hidden.length}` };
    }
    case 'invent': {
      const first = BigInt(`0x${spec.start}`);
      const key = (first + BigInt(randomInt(spec.count))).toString(16).padStart(2 * spec.b, '0');
      return { result: { ...honest, found: [...honest.found, { key, target: randomInt(spec.targets.length) }] }, lie: true, how: 'invented a key' };
    }
    default:
      throw new Error(`no answer for ${behaviour}`);
  }
}

// ---- the connection ----

const url = `${args.coordinator!.replace(/^http/, 'ws').replace(/\/$/, '')}/ws`;
const ws = new WebSocket(url, { perMessageDeflate: false, ...(args.address ? { localAddress: args.address } : {}) });
const send = (m: Record<string, unknown>) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
let answered = 0;
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
  for (const u of units) {
    const targets = new Set(u.spec.targets);
    shared = shared ? new Set([...shared].filter((t) => targets.has(t))) : targets;
    unitsSeen++;
  }
  const items = [];
  for (const u of units) {
    const { result, lie, how } = await answer(u, answered++ < honestFirst);
    out({ event: 'result', leaseId: u.leaseId, jobId: u.jobId, unit: u.unit, lie, how });
    items.push({ leaseId: u.leaseId, result, cpuS: 0.01, elapsedS: 0.01 });
  }
  send({ type: 'results', items });
}

ws.on('open', () => send({
  type: 'hello', protocol: 1, hostId, hostSecret: randomBytes(32).toString('hex'), software: 'hostile/1',
  facts: { cores: Number(args.threads), memoryBytes: 2 ** 31, platform: 'linux', arch: 'x64' }, threads: Number(args.threads),
  kinds: [{ name: 'keysearch', version: 2 }], ...(args.account ? { account: args.account } : {}),
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
      request();
      return;
    case 'no_work':
      // A hoarder has all it can get once it is refused while others still hold units.
      if (behaviour === 'hoard' && hoarded > 0) return goSilent();
      clearTimeout(retry);
      retry = setTimeout(request, Math.min(msg.retryMs, 200));
      return;
    case 'credit':
      out({ event: 'credit', leaseId: msg.leaseId, credit: msg.credit, valid: msg.valid });
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
