/** The WebSocket connection (connection.ts) against a real coordinator, a real Redis and real sockets. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../protocol/index.js';
import { startTestCoordinator, type TestCoordinator } from '../test/helpers/coordinator.js';
import { FakeWorker } from '../test/helpers/fake-worker.js';

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
