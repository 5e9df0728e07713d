// Build: compile TypeScript to dist/ and copy the files tsc does not (Lua scripts, dashboard assets).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  console.error('build: TypeScript is missing; run `npm install` first');
  process.exit(1);
}
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

const lua = join(root, 'coordinator', 'store', 'lua');
mkdirSync(join(root, 'dist', 'coordinator', 'store', 'lua'), { recursive: true });
for (const f of readdirSync(lua)) cpSync(join(lua, f), join(root, 'dist', 'coordinator', 'store', 'lua', f));

// `npx idlegrid` from the repository root looks in node_modules/.bin; npm links only dependencies'
// bins there, not the project's own, so the build links ours.
const binDir = join(root, 'node_modules', '.bin');
const link = join(binDir, 'idlegrid');
mkdirSync(binDir, { recursive: true });
rmSync(link, { force: true });
symlinkSync(join('..', '..', 'bin', 'idlegrid.js'), link);

const dashboardBuild = join(root, 'dashboard', 'build.mjs');
if (existsSync(dashboardBuild)) {
  const d = spawnSync(process.execPath, [dashboardBuild], { stdio: 'inherit' });
  if (d.status !== 0) process.exit(d.status ?? 1);
}
