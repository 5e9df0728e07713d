/**
 * One real redis-server for the whole test run, on a free port with its own data directory, removed
 * afterwards. Tests isolate themselves by key prefix (test/helpers/redis.ts); tests that kill Redis
 * start their own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startRedis } from '../cli/redis-launcher.js';
import { freePort } from './helpers/ports.js';

export default async function setup(project: TestProject) {
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
