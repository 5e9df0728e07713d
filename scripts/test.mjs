// `npm test`: system packages, architecture boundaries, types, then the whole vitest suite (real Redis, real
// sockets, real processes; test/global-setup.ts starts the Redis), then the end-to-end, crash and hostile
// suites again on a three-master Redis Cluster (IDLEGRID_TEST_REDIS=cluster). Ends with one plain summary
// line per pass. Arguments (test files, -t NAME) run the first pass alone on just those.
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

// The suites that prove the store works on a cluster: a whole job end to end, coordinators and workers
// killed mid-job, and colluding hosts caught and their lies undone (docs/scaling.md, "On Redis Cluster").
// Recordings on a cluster are tested where they are the point (test/e2e/cluster-keys.test.ts, and the
// failover test's upload). The signal-scan and hostile key-search suites run the same scripts through
// the same client, and would add two minutes to a suite that must stay well under fifteen.
const CLUSTER_SUITES = [
  'test/e2e/keysearch.test.ts',
  'test/chaos/crashes.test.ts',
  'test/security/adversarial.test.ts',
];

const args = process.argv.slice(2);
const passes = [{ name: 'tests', env: {}, args }];
if (!args.length && process.env.IDLEGRID_TEST_REDIS !== 'cluster') passes.push({ name: 'tests on Redis Cluster', env: { IDLEGRID_TEST_REDIS: 'cluster' }, args: CLUSTER_SUITES });

let status = 0;
const lines = [];
for (const pass of passes) {
  if (pass.env.IDLEGRID_TEST_REDIS) console.log(`\n${pass.name}: ${pass.args.join(' ')}\n`);
  // Every temporary file of the pass (workers' config folders, Redis data, uploads, Chromium's profile)
  // goes under one folder that is removed with the pass: tests and the processes they start that die
  // mid-test, or leave their folders to be looked at, would otherwise leave thousands in /tmp per run.
  const dir = mkdtempSync(join(tmpdir(), 'idlegrid-test-'));
  const report = join(dir, 'report.json');
  const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...pass.args], {
    stdio: 'inherit',
    env: { ...process.env, ...pass.env, TMPDIR: dir },
  });
  try {
    const j = JSON.parse(readFileSync(report, 'utf8'));
    const skipped = j.numPendingTests + j.numTodoTests;
    lines.push(`${pass.name}: ${j.numPassedTests} passed, ${j.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
  } catch {
    lines.push(`${pass.name}: no report was written (see the output above)`);
  }
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) status = r.status ?? 1;
}
console.log(`\n${lines.join('\n')}`);
process.exit(status);
