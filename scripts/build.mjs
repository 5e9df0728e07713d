// Build: compile TypeScript to dist/, copy the files tsc does not (Lua scripts), then build the pages
// (dashboard/build.mjs). It is also the `prepare` script, which npm runs in more places than a fresh
// clone's `npm install`: `npx idlegrid` in a checkout (the project has a `bin`) links the project into
// npx's cache and runs its `prepare` there, and an install without devDependencies runs it with no
// TypeScript at all. So it builds only what needs building:
// - nothing, when dist/ was built from exactly these sources (dist/.build-stamp holds a hash of them);
// - nothing, when TypeScript is absent but dist/ is there: the package as `npm pack` ships it (dist/
//   included), or a production install of a built checkout;
// - everything otherwise. `node scripts/build.mjs --force` rebuilds regardless.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const STAMP = join(root, 'dist', '.build-stamp');
/** What a complete build has; a stamp without them (a half-deleted dist/) does not count. */
const OUTPUTS = ['dist/cli/main.js', 'dist/worker/thread.js', 'dist/coordinator/store/lua/lease.lua', 'dist/dashboard/public/index.html', 'dist/dashboard/public/join.html'];
const SOURCES = ['protocol', 'workunits', 'coordinator', 'worker', 'cli', 'dashboard', 'tsconfig.json', 'package.json', 'package-lock.json', 'scripts/build.mjs'];

function* files(rel) {
  const p = join(root, rel);
  if (!existsSync(p)) return;
  if (!statSync(p).isDirectory()) {
    if (!rel.endsWith('.test.ts')) yield rel;
    return;
  }
  for (const name of readdirSync(p).sort()) if (name !== 'node_modules') yield* files(join(rel, name));
}

/** A hash of every input of the build, by path and content. */
function sourceStamp() {
  const h = createHash('sha256');
  for (const top of SOURCES) for (const f of files(top)) h.update(`${f}\0`).update(readFileSync(join(root, f))).update('\0');
  return h.digest('hex');
}

const built = () => OUTPUTS.every((f) => existsSync(join(root, f)));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

// The package as `npm pack` ships it has dist/ and no sources to build from.
const shipped = !existsSync(join(root, 'cli', 'main.ts'));
if (!existsSync(tsc) || shipped) {
  if (built()) {
    console.log(`build: ${shipped ? 'an installed package' : 'TypeScript is not installed (an install without devDependencies)'}: using the dist/ that is there`);
    process.exit(0);
  }
  console.error('build: TypeScript is missing and dist/ is not built; run `npm install` (with devDependencies) first');
  process.exit(1);
}

const stamp = sourceStamp();
if (!force && built() && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === stamp) {
  console.log(`build: dist/ is up to date (${relative(process.cwd(), STAMP) || STAMP}); \`node scripts/build.mjs --force\` rebuilds anyway`);
  process.exit(0);
}
rmSync(STAMP, { force: true });

const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

const lua = join(root, 'coordinator', 'store', 'lua');
mkdirSync(join(root, 'dist', 'coordinator', 'store', 'lua'), { recursive: true });
for (const f of readdirSync(lua)) cpSync(join(lua, f), join(root, 'dist', 'coordinator', 'store', 'lua', f));

const dashboardBuild = join(root, 'dashboard', 'build.mjs');
const d = spawnSync(process.execPath, [dashboardBuild], { stdio: 'inherit' });
if (d.status !== 0) process.exit(d.status ?? 1);

writeFileSync(STAMP, `${stamp}\n`);
