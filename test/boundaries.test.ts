/**
 * The architecture check (scripts/check-boundaries.mjs) fails on each kind of violation it exists for,
 * type-only imports included, and passes a tree that keeps the rules.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/processes.js';

const trees: string[] = [];
afterAll(() => trees.forEach((t) => rmSync(t, { recursive: true, force: true })));

function check(files: Record<string, string>): { code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ig-bounds-'));
  trees.push(dir);
  const all = { 'tsconfig.json': '{ "compilerOptions": { "module": "NodeNext", "moduleResolution": "NodeNext" } }', ...files };
  for (const [rel, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-boundaries.mjs'), dir], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const clean = {
  'protocol/a.ts': "import { z } from 'zod';\nexport const A = z.string();\n",
  'workunits/k.ts': "import type { A } from '../protocol/a.js';\nexport type K = typeof A;\n",
  'coordinator/c.ts': "import type { K } from '../workunits/k.js';\nexport type C = K;\n",
  'worker/w.ts': "import type { K } from '../workunits/k.js';\nexport type W = K;\n",
  'dashboard/web/p.ts': "import type { K } from '../../workunits/k.js';\nexport type P = K;\n",
};

describe('boundary check', () => {
  it('passes a tree that keeps the rules', () => {
    const r = check(clean);
    expect(r.out).toMatch(/boundaries: ok/);
    expect(r.code).toBe(0);
  });

  it.each([
    ['the page importing the coordinator, type-only', 'dashboard/web/bad.ts', "import type { C } from '../../coordinator/c.js';\nexport type X = C;\n", /dashboard\/web\/bad\.ts imports .*dashboard\/ must not import coordinator\//],
    ['the page importing the worker', 'dashboard/web/bad.ts', "import { W } from '../../worker/w.js';\nexport const X = W;\n", /dashboard\/ must not import worker\//],
    ['a kind importing the coordinator', 'workunits/bad.ts', "import type { C } from '../coordinator/c.js';\nexport type X = C;\n", /workunits\/ must not import coordinator\//],
    ['the coordinator importing the worker', 'coordinator/bad.ts', "import type { W } from '../worker/w.js';\nexport type X = W;\n", /coordinator\/ must not import worker\//],
    ['the coordinator importing the page', 'coordinator/bad.ts', "import type { P } from '../dashboard/web/p.js';\nexport type X = P;\n", /coordinator\/ must not import dashboard\//],
    ['protocol importing a package other than zod', 'protocol/bad.ts', "import { Redis } from 'ioredis';\nexport const X = Redis;\n", /protocol\/ may import only zod/],
    // The path is assembled so that this test file does not itself trip the check.
    ['a file reading the shared data folder', 'coordinator/bad.ts', `export const F = '${['..', 'shared', 'data', 'x.sah'].join('/')}';\n`, /reaches outside the repository/],
  ])('fails on %s', (_what, file, text, message) => {
    const r = check({ ...clean, [file]: text });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(message);
  });

  it('fails on an import cycle made of type imports', () => {
    const r = check({ ...clean, 'coordinator/x.ts': "import type { Y } from './y.js';\nexport interface X { y: Y }\n", 'coordinator/y.ts': "import type { X } from './x.js';\nexport interface Y { x: X }\n" });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/import cycles/);
  });
});
