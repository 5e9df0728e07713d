/**
 * The lies a hostile host (hostile-host.ts) tells about a key-search unit, written from docs/protocol.md
 * and docs/keysearch.md: a result is `{found, keys, digest, blocks}`, the unit's keys cut into at most 32
 * blocks, the blocks adding up to the digest. Every lie is well formed (the right key count, one digest
 * per block, blocks that add up), so only planted keys, key checks and audits can tell.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { honestResult } from './compute.js';
import type { Behaviour, Lie, LieContext } from './hostile-lies.js';

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

export function someOf(n: number, k: number): Set<number> {
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

export async function keysearchLie(behaviour: Behaviour, ctx: LieContext): Promise<Lie> {
  const spec = ctx.spec as Spec;
  const targets = new Set(spec.targets);
  shared = shared ? new Set([...shared].filter((t) => targets.has(t))) : targets;
  unitsSeen++;
  const n = blockCount(spec.count);
  switch (behaviour) {
    case 'instant':
      return { result: withBlocks({ found: [], keys: spec.count, blocks: Array.from({ length: n }, invented) }), lie: true, how: 'instant' };
    case 'sybil': {
      const blocks = Array.from({ length: n }, (_, b) => createHash('sha256').update(`sybil|${ctx.jobId}|${ctx.unit}|${b}`).digest('hex').slice(0, 16));
      return { result: withBlocks({ found: [], keys: spec.count, blocks }), lie: true, how: 'sybil' };
    }
    default:
      break;
  }
  const honest = (await honestResult('keysearch', spec)) as Answer;
  switch (behaviour) {
    case 'random': {
      const pick = randomInt(3);
      if (pick === 0) return { result: withBlocks({ found: [], keys: spec.count, blocks: honest.blocks.map(invented) }), lie: true, how: 'all blocks invented' };
      if (pick === 1 || !honest.found.length) return { result: replaceBlocks(spec, honest, someOf(n, 1)), lie: true, how: 'one block invented' };
      const drop = randomInt(honest.found.length);
      return { result: { ...honest, found: honest.found.filter((_, i) => i !== drop) }, lie: true, how: 'a found key dropped' };
    }
    case 'skip':
      return { result: replaceBlocks(spec, honest, someOf(n, Math.max(1, Math.round(ctx.skip * n)))), lie: true, how: `skipped ${ctx.skip}` };
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
      throw new Error(`no key-search answer for ${behaviour}`);
  }
}
