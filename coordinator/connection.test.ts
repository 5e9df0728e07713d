/** The WebSocket connection (connection.ts) against a real coordinator, a real Redis and real sockets. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../cli/redis-launcher.js';
import { MAX_FRAME_BYTES } from '../protocol/index.js';
import { startTestCoordinator, type TestCoordinator } from '../test/helpers/coordinator.js';
import { FakeWorker } from '../test/helpers/fake-worker.js';
import { freePort } from '../test/helpers/ports.js';

let coord: TestCoordinator;
beforeAll(async () => {
  coord = await startTestCoordinator();
});
afterAll(async () => coord?.stop());

describe('gateway', () => {
  it('answers garbage, oversized and out-of-order frames with coded errors and keeps serving others', async () => {
    const bad = await FakeWorker.connect(coord.wsUrl);
    const good = await FakeWorker.connect(coord.wsUrl);
    bad.raw('{not json');
    expect((await bad.next('error')).code).toBe('NOT_JSON');
    bad.send({ type: 'request', count: 1 });
    expect(await bad.next('error')).toMatchObject({ code: 'OUT_OF_ORDER', ref: 'request' });
    bad.send({ type: 'teleport' });
    expect((await bad.next('error')).code).toBe('BAD_MESSAGE');
    bad.send({ type: 'request', count: 'many' });
    const e = await bad.next('error');
    expect(e.code).toBe('BAD_MESSAGE');
    expect(e.message).toContain('count');
    bad.raw(JSON.stringify({ type: 'bye', reason: 'x'.repeat(MAX_FRAME_BYTES + 10) }));
    expect((await bad.next('error')).code).toBe('FRAME_TOO_LARGE');
    bad.raw(Buffer.from([1, 2, 3]));
    expect((await bad.next('error')).code).toBe('NOT_JSON');
    const first = await bad.hello();
    bad.send({ type: 'hello', protocol: 1, hostId: bad.hostId, hostSecret: bad.hostSecret, software: 'x', facts: { cores: 1, memoryBytes: 1, platform: 'linux', arch: 'x64' }, threads: 1, kinds: [{ name: 'keysearch', version: 1 }] });
    expect(first.hostId).toBe(bad.hostId);
    expect((await bad.next('error')).code).toBe('OUT_OF_ORDER');

    const welcome = await good.hello();
    expect(welcome.leases).toEqual([]);
    const reply = await good.request(2);
    expect(reply.type).toBe('no_work');
    bad.close();
    good.close();
  });

  it('refuses a protocol version mismatch with a clear error and a close', async () => {
    const w = await FakeWorker.connect(coord.wsUrl);
    w.send({ type: 'hello', protocol: 999, hostId: w.hostId, hostSecret: w.hostSecret, software: 'x', facts: { cores: 1, memoryBytes: 1, platform: 'linux', arch: 'x64' }, threads: 1, kinds: [{ name: 'keysearch', version: 1 }] });
    const err = await w.next('error');
    expect(err.code).toBe('PROTOCOL_VERSION');
    expect(err.message).toMatch(/upgrade/);
  });

  it('refuses a host id presented with another secret', async () => {
    const a = await FakeWorker.connect(coord.wsUrl);
    await a.hello();
    a.close();
    const b = await FakeWorker.connect(coord.wsUrl);
    b.send({ type: 'hello', protocol: 1, hostId: a.hostId, hostSecret: 'y'.repeat(40), software: 'x', facts: { cores: 1, memoryBytes: 1, platform: 'linux', arch: 'x64' }, threads: 1, kinds: [{ name: 'keysearch', version: 1 }] });
    expect((await b.next('error')).code).toBe('HOST_AUTH');
  });

  it('answers a message that failed in Redis with INTERNAL naming it, and handles the next one', async () => {
    // A Redis of its own, made to refuse every write (maxmemory of 1 byte, no eviction) and then let go.
    const dir = mkdtempSync(join(tmpdir(), 'ig-conn-redis-'));
    const redis = await startRedis({ port: await freePort(), dir, appendonly: false });
    const admin = new Redis(redis.url);
    const own = await startTestCoordinator({ redisUrl: redis.url });
    const w = await FakeWorker.connect(own.wsUrl);
    try {
      await w.hello();
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      w.send({ type: 'request', count: 1, reqId: 7 });
      expect(await w.next('error')).toMatchObject({ code: 'INTERNAL', ref: 'request' });
      await admin.config('SET', 'maxmemory', '0');
      expect((await w.request(1)).type).toBe('no_work');
    } finally {
      w.close();
      await own.stop();
      admin.disconnect();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers health, readiness and unknown routes', async () => {
    const h = await fetch(`${coord.url}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ ok: true, redis: true });
    expect((await fetch(`${coord.url}/livez`)).status).toBe(200);
    const nf = await fetch(`${coord.url}/nope`);
    expect(nf.status).toBe(404);
    expect((await nf.json()).error.code).toBe('NOT_FOUND');
  });
});
