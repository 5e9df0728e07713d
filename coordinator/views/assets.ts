/** Where the built dashboard (dashboard/build.mjs) lies: dist/dashboard/public under the package root. */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The same from sources (tests run TypeScript) and from dist/ (the CLI runs compiled code). dist/ holds a
 * copy of package.json (protocol/version.ts imports it, so tsc emits it), which is not the root.
 */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) || basename(dir) === 'dist') {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export const webRoot = (): string => join(packageRoot(), 'dist', 'dashboard', 'public');

export const webBuilt = (): boolean => existsSync(join(webRoot(), 'index.html'));
