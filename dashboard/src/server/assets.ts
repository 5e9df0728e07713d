/** Where the built dashboard (dashboard/build.mjs) lies: dist/dashboard/public under the package root. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The same from sources (tests run TypeScript) and from dist/ (the CLI runs compiled code). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export const webRoot = (): string => join(packageRoot(), 'dist', 'dashboard', 'public');

export const webBuilt = (): boolean => existsSync(join(webRoot(), 'index.html'));
