/**
 * Secure defaults of the HTTP and WebSocket front: security headers, CORS closed, body caps, rate limits,
 * connection caps and the hello deadline, against a real coordinator on a real port.
 */
import { connect } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_TIMEOUT_MS } from '../../coordinator/connection.js';
import { ACCOUNTS_PER_IP_PER_HOUR } from '../../coordinator/routes/accounts.js';
import { LIMITS } from '../../coordinator/security.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { api } from './support.js';

let coord: TestCoordinator;
beforeAll(async () => {
  coord = await startTestCoordinator();
});
afterAll(async () => coord?.stop());

describe('HTTP front', () => {
  it('sends security headers with a same-origin content security policy', async () => {
    const res = await fetch(`${coord.url}/healthz`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('keeps CORS closed: no allow-origin header, preflights are not answered', async () => {
    const origin = 'https://evil.example';
    const get = await fetch(`${coord.url}/api/jobs`, { headers: { origin } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${coord.url}/api/jobs`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(pre.status).toBe(404);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-headers')).toBeNull();
  });

  it('refuses bodies over 1 MiB with a coded 413 before reading them whole', async () => {
    const big = await api(coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', name: 'x'.repeat(2 << 20) } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('FRAME_TOO_LARGE');
  });

  it('answers values built to crash a schema check with a 400, not a 500', async () => {
    const poison = { length: { toString: 1 } };
    const acct = await api(coord.url, 'POST', '/api/accounts', { body: { name: poison } });
    expect(acct.status).toBe(400);
    expect(acct.body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('"toString" is not allowed') });
    const job = await api(coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params: { iv: poison } } });
    expect(job.status).toBe(400);
    // Nesting too deep for a recursive walk is still answered.
    const deep = await fetch(`${coord.url}/api/tokens`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken()}` },
      body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    });
    expect(deep.status).toBe(400);
  });

  it('rate-limits account sign-ups per address with a coded 429', async () => {
    let last = await api(coord.url, 'POST', '/api/accounts', { body: { name: 'v0' } });
    for (let i = 1; i <= ACCOUNTS_PER_IP_PER_HOUR && last.status === 201; i++) last = await api(coord.url, 'POST', '/api/accounts', { body: { name: `v${i}` } });
    expect(last.status).toBe(429);
    expect(last.body.error.code).toBe('RATE_LIMITED');
    expect(last.body.error.message).toMatch(/retry in/);
    // Other routes have their own, larger budget.
    expect((await fetch(`${coord.url}/livez`)).status).toBe(200);
  });

  it('applies server timeouts for slow clients', () => {
    const s = coord.app.server;
    expect(s.headersTimeout).toBe(LIMITS.headersTimeoutMs);
    expect(s.timeout).toBe(LIMITS.idleTimeoutMs);
    expect(s.maxConnections).toBe(LIMITS.maxConnections);
  });

});

describe('WebSocket front', () => {
  it('caps open connections per address with a coded 429 before the upgrade, and frees the slot on close', async () => {
    const before = await openMany(LIMITS.wsPerIp);
    const refused = await new Promise<{ status: number; body: string }>((resolve) => {
      const ws = new WebSocket(coord.wsUrl);
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => resolve({ status: 101, body: '' }));
    });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).error.code).toBe('TOO_MANY_CONNECTIONS');
    const closing = new Promise((r) => before[0].once('close', r));
    before[0].close();
    await closing;
    const again = await FakeWorker.connect(coord.wsUrl);
    await again.hello();
    again.close();
    for (const ws of before) ws.terminate();
  });

  // Both wait out real deadlines, so they run side by side.
  it('cuts slow clients: a JSON body dribbled past its deadline, a socket that never says hello', async () => {
    await Promise.all([dribbledBody(), silentSocket()]);
  }, LIMITS.bodyDeadlineMs + 10_000);
});

async function openMany(n: number): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  for (let i = 0; i < n; i += 32) {
    const batch = Array.from({ length: Math.min(32, n - i) }, () => new WebSocket(coord.wsUrl));
    await Promise.all(batch.map((ws) => new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); })));
    out.push(...batch);
  }
  return out;
}

async function dribbledBody(): Promise<void> {
  const { port } = coord.app.server.address() as { port: number };
  const sock = connect(port, '127.0.0.1');
  const started = Date.now();
  await new Promise((r) => sock.once('connect', r));
  // Authorised, so the request gets as far as reading its body (a refusal would answer before that).
  sock.write(`POST /api/jobs HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${adminToken()}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"kind":`);
  const closedAfter = await new Promise<number>((r) => sock.on('close', () => r(Date.now() - started)));
  expect(closedAfter).toBeGreaterThanOrEqual(LIMITS.bodyDeadlineMs - 100);
  expect(closedAfter).toBeLessThan(LIMITS.bodyDeadlineMs + 5_000);
}

async function silentSocket(): Promise<void> {
  const w = await FakeWorker.connect(coord.wsUrl);
  const err = await w.next('error', HELLO_TIMEOUT_MS + 3_000);
  expect(err.code).toBe('SLOW_CLIENT');
  await new Promise((r) => (w.closed ? r(null) : w.ws.once('close', r)));
  expect(w.closed?.code).toBe(4008);
}
