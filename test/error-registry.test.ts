/**
 * The error registry (protocol/errors.ts) against the code that uses it: every code a Lua script returns
 * or a source file names is registered, every registered code is used somewhere (a dead code is a
 * promise nobody keeps), and each entry is fit to show a user.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, ErrorCodeSchema, isErrorCode } from '../protocol/index.js';
import { ROOT } from './helpers/processes.js';

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if ((p.endsWith('.ts') && !p.endsWith('.test.ts')) || p.endsWith('.lua')) yield p;
  }
}
const PRODUCT = ['protocol', 'workunits', 'coordinator', 'worker', 'cli', 'dashboard'].flatMap((d) => [...sources(join(ROOT, d))]);
const text = new Map(PRODUCT.map((f) => [relative(ROOT, f), readFileSync(f, 'utf8')]));

describe('error registry', () => {
  it('holds codes fit to show a user', () => {
    for (const [code, e] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      expect(e.status, code).toBeGreaterThanOrEqual(400);
      expect(e.status, code).toBeLessThan(600);
      expect(e.text.length, code).toBeGreaterThan(10);
      expect(e.text, code).not.toMatch(/[.\s]$/);
    }
    expect(ErrorCodeSchema.safeParse('NOT_A_CODE').success).toBe(false);
  });

  it('registers every code the Lua scripts return', () => {
    const returned = new Set<string>();
    for (const [file, src] of text) {
      if (!file.endsWith('.lua')) continue;
      for (const m of src.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)) returned.add(m[1]);
    }
    expect(returned.size).toBeGreaterThan(0);
    expect([...returned].filter((c) => !isErrorCode(c))).toEqual([]);
  });

  it('uses every registered code somewhere outside the registry', () => {
    const unused = Object.keys(ERRORS).filter((code) => {
      const quoted = new RegExp(`['"\`]${code}['"\`]|\\b${code}\\b`);
      return ![...text].some(([file, src]) => file !== join('protocol', 'errors.ts') && quoted.test(src));
    });
    expect(unused).toEqual([]);
  });
});
