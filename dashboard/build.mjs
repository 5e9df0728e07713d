// Build the dashboard page: type-check dashboard/web (tsc, no output), bundle it with uPlot and its CSS
// (esbuild), and write dist/dashboard/public, which the coordinator serves at /. Everything the page
// needs is in that folder: no CDN, so it works offline. Run by scripts/build.mjs after tsc.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const web = join(here, 'web');
const dest = join(root, 'dist', 'dashboard', 'public');
// Built beside and swapped in at the end, so a coordinator serving the old page never finds it half written.
const out = `${dest}.tmp-${process.pid}`;

const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(web, 'tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const { metafile } = await build({
  entryPoints: { app: join(web, 'main.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
});
// The page takes only types from protocol/: a value import from its index would pull in zod (~400 kB).
const zod = Object.keys(metafile.inputs).filter((f) => f.includes('node_modules/zod/'));
if (zod.length) {
  rmSync(out, { recursive: true, force: true });
  console.error(`dashboard: the page bundles zod (${zod[0]}, ...): import protocol schemas with \`import type\`, values from zod-free files`);
  process.exit(1);
}

// The assets' hash in their URLs, so a browser never pairs a new page with an old cached script.
const hash = createHash('sha256');
for (const f of ['app.js', 'app.css']) hash.update(readFileSync(join(out, f)));
const version = hash.digest('hex').slice(0, 12);
copyFileSync(join(web, 'favicon.svg'), join(out, 'favicon.svg'));
writeFileSync(join(out, 'index.html'), readFileSync(join(web, 'index.html'), 'utf8').replaceAll('__VERSION__', version));
rmSync(dest, { recursive: true, force: true });
renameSync(out, dest);
