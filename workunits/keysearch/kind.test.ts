import { describe, expect, it } from 'vitest';
import type { Plan } from '../kind.js';
import kernel from './kernel.js';
import keysearch, { demoJobKey, encryptBlock, makeDemoJob } from './kind.js';
import { plantRingers, ringersFound } from './ringers.js';
import { DEFAULT_UNIT_SIZE, MAX_TARGETS, OPS_PER_KEY, Params, type ParamsInput, type Result, type UnitSpec } from './params.js';

// distributed.net's first RC5-72 self-test, as a job whose range holds the key.
const job: ParamsInput = {
  algorithm: 'rc5-32/12/9',
  iv: '07CE591F86149A41',
  plaintext: '54686520756e6b6e',
  ciphertext: '5a282d562a85b72f',
  start: 'c90c0353c0d4e1f000',
  count: 10000,
  unitSize: 1024,
};
const KEY = 'c90c0353c0d4e1fe85';

const params = (over: Partial<ParamsInput> = {}) => Params.parse({ ...job, ...over });
const issues = (over: Record<string, unknown>) => {
  const r = Params.safeParse({ ...job, ...over });
  if (r.success) throw new Error('expected a failure');
  return r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};
const planOf = (p: Params): Plan => {
  const r = keysearch.plan(p);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
function run(u: UnitSpec): Result {
  const s = kernel.init(u, undefined);
  while (!kernel.step(s, kernel.initialBudget));
  return kernel.result(s);
}
function runJob(p: Params) {
  const plan = planOf(p);
  const results = Array.from({ length: plan.unitsTotal }, (_, index) => {
    const u = keysearch.unit(p, plan, index);
    const result = run(u);
    expect(keysearch.check?.(u, result)).toBe(true);
    return { index, result };
  });
  return keysearch.assemble(p, plan, results, []);
}

describe('keysearch params', () => {
  it('applies defaults and normalises hex', () => {
    const p = Params.parse({ ...job, unitSize: undefined });
    expect(p.unitSize).toBe(DEFAULT_UNIT_SIZE);
    expect(p.exhaustive).toBe(false);
    expect(p.iv).toBe('07ce591f86149a41');
    expect(p.count).toBe('10000');
  });

  it('takes count as a decimal string beyond 2^53', () => {
    expect(params({ start: '000000000000000000', count: '4722366482869645213696' }).count).toBe('4722366482869645213696');
  });

  it('names the field and says what is wrong', () => {
    expect(issues({ start: 'c90c0353c0d4e1fe' })).toEqual([
      { path: 'start', message: 'start must be 18 hex digits (9 key bytes) for rc5-32/12/9, got 16' },
    ]);
    expect(issues({ algorithm: 'rc5-32/12/4' })[0].path).toBe('algorithm');
    expect(issues({ algorithm: 'rc5-32/12/17' })[0].message).toMatch(/from 5 to 16/);
    expect(issues({ algorithm: 'rc5-64/16/9' })[0].path).toBe('algorithm');
    expect(issues({ iv: '07ce591f86149a4' })).toEqual([{ path: 'iv', message: 'iv (one 8-byte block) must be 16 hex digits' }]);
    expect(issues({ ciphertext: 'xyz' })[0].path).toBe('ciphertext');
    expect(issues({ start: 'c90c0353c0d4e1fe8g' })[0].path).toBe('start');
    expect(issues({ count: 0 })[0].path).toBe('count');
    expect(issues({ count: 1.5 })[0].path).toBe('count');
    expect(issues({ count: '-5' })[0].path).toBe('count');
    expect(issues({ count: 2 ** 60 })[0].message).toMatch(/decimal string/);
    expect(issues({ unitSize: 0 })[0].path).toBe('unitSize');
    expect(issues({ unitSize: 2 ** 33 })[0].path).toBe('unitSize');
  });
});

describe('keysearch plan and units', () => {
  it('cuts the range into units that tile it exactly', () => {
    const p = params({ start: 'c90c0353c0d4e1ffff', count: 2500 });
    const plan = planOf(p);
    expect(plan).toMatchObject({ unitsTotal: 3, opsPerUnit: 1024 * OPS_PER_KEY });
    const units = [0, 1, 2].map((i) => keysearch.unit(p, plan, i));
    expect(units.map((u) => [u.start, u.count])).toEqual([
      ['c90c0353c0d4e1ffff', 1024],
      ['c90c0353c0d4e203ff', 1024],
      ['c90c0353c0d4e207ff', 452],
    ]);
    expect(units[0]).toMatchObject({ b: 9, rounds: 12, targets: ['5a282d562a85b72f'], iv: '07ce591f86149a41' });
    expect(keysearch.ops(units[2])).toBe(452 * OPS_PER_KEY);
  });

  it('derives any unit of a 2^72 job cheaply', () => {
    const p = params({ start: '000000000000000000', count: (1n << 72n).toString(), unitSize: 2 ** 32 });
    const plan = planOf(p);
    expect(plan.unitsTotal).toBe(2 ** 40);
    expect(keysearch.unit(p, plan, 2 ** 40 - 1)).toMatchObject({ start: 'ffffffffff00000000', count: 2 ** 32 });
  });

  it('refuses a range that runs past the key space', () => {
    expect(keysearch.plan(params({ start: 'ffffffffffffffff00', count: 256 })).ok).toBe(true);
    const r = keysearch.plan(params({ start: 'ffffffffffffffff00', count: 257 }));
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_PARAMS' } });
    if (!r.ok) expect(r.error.message).toMatch(/at most 256 keys remain/);
  });

  it('refuses more units than a number can count', () => {
    const r = keysearch.plan(params({ start: '00000000000000000000000000000000', algorithm: 'rc5-32/12/16', count: (1n << 100n).toString(), unitSize: 1 }));
    expect(r.ok).toBe(false);
  });
});

describe('keysearch results', () => {
  const p = params();
  const plan = planOf(p);
  const u = keysearch.unit(p, plan, 3); // c90c0353c0d4e1fc00 .. fcff + 1023: holds KEY
  const good = run(u);

  it('finds the key and checks it', () => {
    expect(good.found).toEqual([{ key: KEY, target: 0 }]);
    expect(keysearch.check?.(u, good)).toBe(true);
    expect(keysearch.decisive?.(good, p)).toBe(true);
  });

  it('rejects a fake key, a key outside the unit, a short count and an unknown target', () => {
    expect(keysearch.check?.(u, { ...good, found: [{ key: 'c90c0353c0d4e1fe84', target: 0 }] })).toBe(false);
    const other = keysearch.unit(p, plan, 0);
    expect(keysearch.check?.(other, { ...run(other), found: good.found })).toBe(false);
    expect(keysearch.check?.(u, { ...good, keys: good.keys - 1 })).toBe(false);
    expect(keysearch.check?.(u, { ...good, found: [{ key: KEY, target: 1 }] })).toBe(false);
  });

  it('rejects a real key named twice, and a result naming more keys than the unit has targets', () => {
    expect(keysearch.check?.(u, { ...good, found: [...good.found, ...good.found] })).toBe(false);
    const many = Array.from({ length: MAX_TARGETS + 1 }, () => good.found[0]);
    expect(keysearch.result.safeParse({ ...good, found: many }).success).toBe(false);
    expect(keysearch.result.safeParse({ ...good, found: many.slice(0, MAX_TARGETS) }).success).toBe(true);
  });

  it('compares results exactly, found keys in any order', () => {
    const two: Result = { ...good, found: [{ key: KEY, target: 0 }, { key: 'c90c0353c0d4e1fe86', target: 1 }] };
    expect(keysearch.compare(two, { ...two, found: [...two.found].reverse() }, u)).toBe(true);
    expect(keysearch.compare(good, { ...good, digest: '0'.repeat(16) }, u)).toBe(false);
    expect(keysearch.compare(good, { ...good, found: [] }, u)).toBe(false);
    expect(keysearch.compare(good, { ...good, keys: 1 }, u)).toBe(false);
  });

  it('assembles the keys that open the job\'s ciphertext (not ringers), de-duplicated, and counts keys', () => {
    const r = (keys: string[], targets: number[], n: number): Result => ({
      found: keys.map((key, i) => ({ key, target: targets[i] })),
      keys: n,
      digest: '0'.repeat(16),
      blocks: [],
    });
    const answer = keysearch.assemble(
      p,
      plan,
      [
        // A ringer's key, whatever its target index, is not the job's answer; the real key may sit at any index.
        { index: 1, result: r([KEY, 'aa0c0353c0d4e1fe85'], [0, 1], 10) },
        { index: 2, result: r(['010c0353c0d4e1fe85', KEY], [0, 2], 20) },
      ],
      [0],
    );
    expect(answer).toEqual({ found: [{ key: KEY }], keysSearched: 30 });
  });
});

describe('keysearch ringers', () => {
  const p = params();
  const u = keysearch.unit(p, planOf(p), 3);
  const random = Uint8Array.from({ length: 28 }, (_, i) => (i * 97 + 13) & 255);

  it('plants keys a full search finds and a partial one misses, in an order that hides the real target', () => {
    const { unit: planted, secret } = plantRingers(u, random, 3);
    expect(planted.targets).toHaveLength(4);
    expect([...planted.targets].sort()).toEqual([u.targets[0], ...secret.keys.map((k) => encryptBlock(k, u.iv, u.plaintext))].sort());
    planted.targets.forEach((t) => expect(t).toMatch(/^[0-9a-f]{16}$/));
    // Other random bytes put the real target elsewhere: its place says nothing.
    const places = new Set(Array.from({ length: 12 }, (_, s) => {
      const r = Uint8Array.from({ length: 28 }, (_, i) => (i * 31 + s * 7) & 255);
      return plantRingers(u, r, 3).unit.targets.indexOf(u.targets[0]);
    }));
    expect(places.size).toBeGreaterThan(1);
    const full = run(planted);
    expect(keysearch.check?.(planted, full)).toBe(true);
    expect(ringersFound(planted, secret, full)).toBe(true);
    expect(ringersFound(planted, secret, { ...full, found: full.found.slice(0, -1) })).toBe(false);
    expect(ringersFound(planted, secret, run(u))).toBe(false);
  });

  it('needs enough random bytes', () => {
    expect(() => plantRingers(u, new Uint8Array(7), 1)).toThrow(/8 random bytes/);
    expect(() => plantRingers(u, new Uint8Array(8), 1)).toThrow(/10 random bytes/);
  });
});

describe('keysearch end to end', () => {
  it('finds the key planted by makeDemoJob', () => {
    const seed = new TextEncoder().encode('idlegrid demo');
    const p = makeDemoJob(seed, { count: 3000, unitSize: 512 });
    expect(makeDemoJob(seed, { count: 3000, unitSize: 512 })).toEqual(p); // deterministic
    expect(runJob(p)).toEqual({ found: [{ key: demoJobKey(seed, { count: 3000, unitSize: 512 }) }], keysSearched: 3000 });
  });

  it('finds the RC5-72 self-test key across unit boundaries', () => {
    expect(runJob(params())).toEqual({ found: [{ key: KEY }], keysSearched: 10000 });
  });
});
