// `npm test`: system packages, architecture boundaries, types, then the whole vitest suite (real Redis, real
// sockets, real processes; test/global-setup.ts starts the Redis). Ends with one plain summary line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSystemDeps } from './system-deps.mjs';

ensureSystemDeps();
const boundaries = spawnSync(process.execPath, ['scripts/check-boundaries.mjs'], { stdio: 'inherit' });
if (boundaries.status !== 0) process.exit(boundaries.status ?? 1);
// vitest runs TypeScript without checking it: type-check the tests, helpers and benchmarks too.
const types = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.check.json'], { stdio: 'inherit' });
if (types.status !== 0) process.exit(types.status ?? 1);
console.log('types: ok (product, tests, helpers, benchmarks)');

const dir = mkdtempSync(join(tmpdir(), 'idlegrid-vitest-'));
const report = join(dir, 'report.json');
const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], { stdio: 'inherit' });
try {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = j.numPendingTests + j.numTodoTests;
  console.log(`\ntests: ${j.numPassedTests} passed, ${j.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
} catch {
  console.log('\ntests: no report was written (see the output above)');
}
rmSync(dir, { recursive: true, force: true });
process.exit(r.status ?? 1);
