// Build the dashboard page and the /join page: type-check dashboard/web (tsc, no output), bundle the
// dashboard with uPlot and its CSS, and the browser volunteer (join/) with the kernels of workunits/ and
// its Web Workers (esbuild), and write dist/dashboard/public, which the coordinator serves at / and
// /join. Everything the pages need is in that folder: no CDN, so they work offline. Run by
// scripts/build.mjs after tsc.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const web = join(here, 'web');
const dest = join(root, 'dist', 'dashboard', 'public');
// Built beside and swapped in at the end, so a coordinator serving the old page never finds it half written.
const out = `${dest}.tmp-${process.pid}`;
// dist/ no longer matches the stamp scripts/build.mjs keeps when this runs by itself: that build, which
// runs this one, writes the stamp again when everything is done.
rmSync(join(root, 'dist', '.build-stamp'), { force: true });

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

// The browser volunteer: the page, its compute threads and its timer thread share one chunk with the
// kernels and the protocol schemas (zod included: the kernels check their unit specs with it), so the
// browser fetches those once. Module workers, as the chunks are ES modules.
await build({
  entryPoints: { join: join(web, 'join', 'main.ts'), 'join-compute': join(web, 'join', 'compute-worker.ts'), 'join-timers': join(web, 'join', 'timers-worker.ts') },
  outdir: out,
  bundle: true,
  splitting: true,
  chunkNames: 'join-chunk-[hash]',
  format: 'esm',
  target: 'es2020',
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});

// The assets' hash in their URLs, so a browser never pairs a new page with an old cached script.
const hash = createHash('sha256');
for (const f of readdirSync(out).filter((f) => /\.(js|css)$/.test(f)).sort()) hash.update(readFileSync(join(out, f)));
const version = hash.digest('hex').slice(0, 12);
copyFileSync(join(web, 'favicon.svg'), join(out, 'favicon.svg'));
writeFileSync(join(out, 'index.html'), readFileSync(join(web, 'index.html'), 'utf8').replaceAll('__VERSION__', version));
// __ORIGIN__ stays: the coordinator fills in its own address when it serves /join (coordinator/routes/join.ts).
writeFileSync(join(out, 'join.html'), readFileSync(join(web, 'join', 'join.html'), 'utf8').replaceAll('__VERSION__', version));
rmSync(dest, { recursive: true, force: true });
renameSync(out, dest);
