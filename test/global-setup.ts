/**
 * One real redis-server for the whole test run, on a free port with its own data directory, removed
 * afterwards; with IDLEGRID_TEST_REDIS=cluster, a three-master Redis Cluster on loopback instead (the
 * cluster pass of npm test). Tests isolate themselves by key prefix (test/helpers/redis.ts); tests that
 * kill Redis start their own.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startRedis } from '../cli/redis-launcher.js';
import { freePort } from './helpers/ports.js';
import { startRedisCluster } from './helpers/cluster.js';

export default async function setup(project: TestProject) {
  // Tests that are not about authorisation act as the admin: every coordinator a test starts (in this
  // process or as a child) accepts this token, and every CLI call and helper sends it. Tests of
  // authorisation clear or replace IDLEGRID_TOKEN where they mean to be someone else.
  process.env.IDLEGRID_ADMIN_TOKEN = `iga_test_${randomBytes(24).toString('base64url')}`;
  process.env.IDLEGRID_TOKEN = process.env.IDLEGRID_ADMIN_TOKEN;
  if (process.env.IDLEGRID_TEST_REDIS === 'cluster') {
    const cluster = await startRedisCluster(3);
    project.provide('redisUrl', cluster.url);
    return () => cluster.stop();
  }
  const dir = mkdtempSync(join(tmpdir(), 'idlegrid-test-redis-'));
  const redis = await startRedis({ port: await freePort(), dir, appendonly: false });
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
