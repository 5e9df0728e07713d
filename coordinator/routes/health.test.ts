/**
 * Liveness and readiness with a Redis of its own that the test stops and starts again: /readyz turns 503
 * while the store is away and 200 when it is back; /livez and /metrics keep answering throughout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedis, type LaunchedRedis } from '../../cli/redis-launcher.js';
import { startTestCoordinator, type TestCoordinator } from '../../test/helpers/coordinator.js';
import { freePort } from '../../test/helpers/ports.js';
import { waitFor } from '../../test/helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'idlegrid-health-redis-'));
let redis: LaunchedRedis | undefined;
let coord: TestCoordinator | undefined;

afterAll(async () => {
  await coord?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('/livez, /readyz, /healthz', () => {
  it('say ready only while Redis answers', async () => {
    const port = await freePort();
    redis = await startRedis({ port, dir, appendonly: false });
    coord = await startTestCoordinator({ redisUrl: redis.url });
    const get = (path: string) => coord!.app.inject(path);
    expect((await get('/readyz')).json()).toMatchObject({ ok: true, redis: true });
    expect((await get('/healthz')).statusCode).toBe(200);

    await redis.stop();
    await waitFor('/readyz to say 503', async () => (await get('/readyz')).statusCode === 503, 10_000);
    expect((await get('/readyz')).json()).toMatchObject({ ok: false, redis: false });
    expect((await get('/healthz')).statusCode).toBe(503);
    expect((await get('/livez')).json()).toEqual({ ok: true });
    // The process still reports itself, and says that it cannot see the grid.
    const metrics = await get('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/^idlegrid_store_up 0$/m);
    expect(metrics.body).toMatch(/^process_cpu_seconds_total /m);
    expect(metrics.body).not.toMatch(/^idlegrid_hosts_active /m);
    // The API answers at once that the store is away, in the documented shape, rather than waiting.
    const started = Date.now();
    const jobs = await get('/api/jobs');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(jobs.statusCode).toBe(503);
    expect(jobs.json()).toEqual({ error: { code: 'STORE_UNAVAILABLE', message: 'Redis is not reachable: retry in a few seconds' } });

    redis = await startRedis({ port, dir, appendonly: false });
    await waitFor('/readyz to say 200 again', async () => (await get('/readyz')).statusCode === 200, 15_000);
    expect((await get('/api/jobs')).statusCode).toBe(200);
  });
});
