/**
 * The project promises Node 20 (package.json engines). Every installed package, dependencies of
 * dependencies included, must accept the Node running the suite: a package that declares a newer Node
 * (as content-disposition 3 and cookie 2 do, Node >= 22) may use APIs this Node lacks. npm only warns
 * (EBADENGINE); this test makes it a failure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/processes.js';

function* manifests(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === '.bin' || entry.name === '.cache') continue;
    const pkg = join(dir, entry.name);
    if (entry.name.startsWith('@')) {
      yield* manifests(pkg);
      continue;
    }
    yield join(pkg, 'package.json');
    const nested = join(pkg, 'node_modules');
    try {
      yield* manifests(nested);
    } catch {
      /* no nested node_modules */
    }
  }
}

describe('installed packages', () => {
  it(`all run on this Node (${process.version}), as package.json promises`, () => {
    const promised = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(semver.satisfies(process.version, promised)).toBe(true);
    const refusing: string[] = [];
    let seen = 0;
    for (const file of manifests(join(ROOT, 'node_modules'))) {
      let m: { name?: string; version?: string; engines?: { node?: string } };
      try {
        m = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        continue;
      }
      seen++;
      const range = m.engines?.node;
      if (range && !semver.satisfies(process.version, range, { includePrerelease: true })) refusing.push(`${m.name}@${m.version} needs node ${range}`);
    }
    expect(seen).toBeGreaterThan(100);
    expect(refusing).toEqual([]);
  });
});
