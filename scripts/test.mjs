// `npm test`: system packages, architecture boundaries, then the whole vitest suite (real Redis, real
// sockets, real processes; test/global-setup.ts starts the Redis).
import { spawnSync } from 'node:child_process';
import { ensureSystemDeps } from './system-deps.mjs';

ensureSystemDeps();
const boundaries = spawnSync(process.execPath, ['scripts/check-boundaries.mjs'], { stdio: 'inherit' });
if (boundaries.status !== 0) process.exit(boundaries.status ?? 1);
const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
