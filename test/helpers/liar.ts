/**
 * A lying volunteer, run as its own process: it speaks the real protocol over a real WebSocket, takes
 * key-search units and answers them without doing the work.
 *
 *   node --import tsx test/helpers/liar.ts --coordinator URL --mode random|collude [--account KEY] [--honest-first N]
 *
 * random:  a random digest for every unit (a lazy or broken host).
 * collude: a digest derived from the unit spec alone, so every colluder sends the same wrong answer for a
 *          unit (a pair trying to outvote one honest host).
 * Both claim the unit's full key count and no key found, so schema and range checks pass and only
 * replication or ringers can tell. --honest-first N computes its first N units honestly (to earn trust)
 * before lying. One JSON line per event goes to stdout for the test to count.
 */
import keysearch from '../../workunits/keysearch/kind.js';
import { auditBlocks } from '../../workunits/keysearch/params.js';
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { CoordinatorMessage, PROTOCOL_VERSION, SOFTWARE, type WorkUnit, type WorkerMessage } from '../../protocol/index.js';
import { honestResult } from './compute.js';

const { values: args } = parseArgs({
  options: {
    coordinator: { type: 'string' },
    mode: { type: 'string', default: 'random' },
    account: { type: 'string' },
    'honest-first': { type: 'string', default: '0' },
  },
});
if (!args.coordinator || !['random', 'collude'].includes(args.mode!)) {
  process.stderr.write('usage: liar.ts --coordinator URL --mode random|collude [--account KEY] [--honest-first N]\n');
  process.exit(2);
}
const honestFirst = Number(args['honest-first']);
const hostId = `h-liar-${randomBytes(6).toString('hex')}`;
const out = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ hostId, ...event })}\n`);

/** Well formed (blocks that add up to the digest), so that only ringers, decoys and audits can catch it. */
function lie(unit: WorkUnit): { found: never[]; keys: number; digest: string; blocks: string[] } {
  const spec = unit.spec as { count: number };
  const digest = args.mode === 'collude'
    ? createHash('sha256').update(`collude|${JSON.stringify(unit.spec)}`).digest('hex').slice(0, 16)
    : randomBytes(8).toString('hex');
  return { found: [], keys: spec.count, digest, blocks: [digest, ...Array.from({ length: auditBlocks(spec.count) - 1 }, () => '0'.repeat(16))] };
}

const ws = new WebSocket(args.coordinator!.replace(/^http/, 'ws').replace(/\/$/, '') + '/ws');
const send = (m: WorkerMessage) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
let answered = 0;
let retry: NodeJS.Timeout | undefined;

ws.on('open', () => send({
  type: 'hello', protocol: PROTOCOL_VERSION, hostId, hostSecret: randomBytes(32).toString('hex'), software: SOFTWARE,
  facts: { cores: 2, memoryBytes: 1 << 30, platform: 'linux', arch: 'x64' }, threads: 2,
  kinds: [{ name: 'keysearch', version: keysearch.version }], ...(args.account ? { account: args.account } : {}),
}));

ws.on('message', async (data) => {
  const msg = CoordinatorMessage.parse(JSON.parse(data.toString()));
  switch (msg.type) {
    case 'welcome':
      out({ event: 'welcome', mode: args.mode, account: args.account ?? null });
      return void send({ type: 'request', count: 4 });
    case 'work': {
      const items = [];
      for (const unit of msg.units) {
        const honest = answered++ < honestFirst;
        const result = honest ? await honestResult(unit.kind, unit.spec) : lie(unit);
        out({ event: 'result', leaseId: unit.leaseId, lie: !honest });
        items.push({ leaseId: unit.leaseId, result, cpuS: 0.001, elapsedS: 0.001 });
      }
      return void send({ type: 'results', items });
    }
    case 'ack':
      for (const i of msg.items) out({ event: 'ack', leaseId: i.leaseId, status: i.status, code: i.error?.code ?? null });
      return void send({ type: 'request', count: 4 });
    case 'no_work':
      // Liars are eager: they ask again soon, to grab as many replicas as they can.
      clearTimeout(retry);
      retry = setTimeout(() => send({ type: 'request', count: 4 }), Math.min(msg.retryMs, 300));
      return;
    case 'credit':
      return out({ event: 'credit', leaseId: msg.leaseId, credit: msg.credit, valid: msg.valid });
    case 'error':
      return out({ event: 'error', code: msg.code, message: msg.message });
    default:
      return;
  }
});
ws.on('close', (code) => {
  out({ event: 'closed', code });
  process.exit(0);
});
ws.on('error', (err) => {
  out({ event: 'error', message: err.message });
  process.exit(1);
});
process.on('SIGTERM', () => ws.close(1000, 'liar stopped'));
