/**
 * Who may do what over HTTP, against a real coordinator and Redis: owner and admin tokens, anonymous
 * callers, redaction of private jobs, revocation, and tokens stored only as hashes.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAdminToken } from '../../coordinator/auth.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { waitFor } from '../helpers/processes.js';
import { redisUrl } from '../helpers/redis.js';
import { honestResult } from '../helpers/compute.js';
import { api, keyJobParams } from './support.js';

let coord: TestCoordinator;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
const admin = () => adminToken();

beforeAll(async () => {
  coord = await startTestCoordinator();
  alice = (await api(coord.url, 'POST', '/api/tokens', { token: admin(), body: { name: 'alice' } })).body;
  bob = (await api(coord.url, 'POST', '/api/tokens', { token: admin(), body: { name: 'bob' } })).body;
});
afterAll(async () => coord?.stop());

const job = (extra: Record<string, unknown> = {}) => ({
  kind: 'keysearch', name: 'secret project', params: keyJobParams({ count: 2048, unitSize: 2048, keyOffset: 77 }).params,
  policy: { minQuorum: 1, targetResults: 1 }, ...extra,
});

describe('admin token', () => {
  it('is generated when none is configured and refused when too short to hold 128 bits', () => {
    const made = resolveAdminToken(undefined);
    expect(made.generated).toBe(true);
    expect(made.token).toMatch(/^iga_[A-Za-z0-9_-]{43}$/);
    expect(resolveAdminToken('').generated).toBe(true);
    expect(() => resolveAdminToken('short-secret')).toThrow(/at least 32 .*openssl rand/);
    expect(resolveAdminToken('x'.repeat(40))).toEqual({ token: 'x'.repeat(40), generated: false });
  });
});

describe('owner tokens', () => {
  it('only the admin makes them', async () => {
    expect(alice.token).toMatch(/^igo_[A-Za-z0-9_-]{43}$/);
    const anon = await api(coord.url, 'POST', '/api/tokens', { body: { name: 'mallory' } });
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe('UNAUTHORIZED');
    const owner = await api(coord.url, 'POST', '/api/tokens', { token: alice.token, body: { name: 'mallory' } });
    expect(owner.status).toBe(403);
    expect(owner.body.error.code).toBe('FORBIDDEN');
    const bad = await api(coord.url, 'POST', '/api/tokens', { token: admin(), body: { name: 'x', role: 'admin' } });
    expect(bad.status).toBe(400);
  });

  it('refuses submission without a token, with a malformed header, or with an unknown token', async () => {
    const anon = await api(coord.url, 'POST', '/api/jobs', { body: job() });
    expect(anon.status).toBe(401);
    expect(anon.body.error.message).toMatch(/--token or IDLEGRID_TOKEN/);
    const malformed = await api(coord.url, 'POST', '/api/jobs', { body: job(), headers: { authorization: 'Basic YWxhZGRpbjpvcGVu' } });
    expect(malformed.status).toBe(401);
    expect(malformed.body.error.message).toMatch(/Bearer/);
    const unknown = await api(coord.url, 'POST', '/api/jobs', { token: `igo_${'A'.repeat(43)}`, body: job() });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toMatch(/not known/);
  });

  it('a volunteer account key is not an owner token', async () => {
    const acct = await api(coord.url, 'POST', '/api/accounts', { body: { name: 'volunteer' } });
    expect(acct.status).toBe(201);
    const sub = await api(coord.url, 'POST', '/api/jobs', { token: acct.body.key, body: job() });
    expect(sub.status).toBe(401);
  });
});

describe('jobs belong to their owner', () => {
  it('records the owner, shows a private job in full only to its owner and the admin, and lets only them cancel it', async () => {
    const sub = await api(coord.url, 'POST', '/api/jobs', { token: alice.token, body: job() });
    expect(sub.status).toBe(201);
    const id = sub.body.id as string;
    expect(sub.body.owner).toBe(alice.id);
    const redis = new Redis(redisUrl());
    expect(await redis.hget(`${coord.options.prefix}:job:${id}`, 'owner')).toBe(alice.id);
    redis.disconnect();

    for (const token of [alice.token, admin()]) {
      const r = await api(coord.url, 'GET', `/api/jobs/${id}`, { token });
      expect(r.body).toMatchObject({ id, name: 'secret project', owner: alice.id });
      expect(r.body.params).not.toBeNull();
      expect(r.headers.get('x-idlegrid-redacted')).toBeNull();
    }
    for (const token of [bob.token, undefined]) {
      const r = await api(coord.url, 'GET', `/api/jobs/${id}`, { token });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-idlegrid-redacted')).toBe('1');
      expect(r.body).toMatchObject({ id, state: 'queued', params: null, result: null });
      expect(r.body.name).toBeUndefined();
      expect(r.body.progress.unitsTotal).toBe(1);
    }
    const listed = await api(coord.url, 'GET', '/api/jobs');
    expect(listed.body.jobs.find((j: { id: string }) => j.id === id)).toMatchObject({ params: null, result: null });

    const anonCancel = await api(coord.url, 'DELETE', `/api/jobs/${id}`);
    expect(anonCancel.status).toBe(401);
    const bobCancel = await api(coord.url, 'DELETE', `/api/jobs/${id}`, { token: bob.token });
    expect(bobCancel.status).toBe(403);
    expect(bobCancel.body.error.code).toBe('FORBIDDEN');
    expect((await api(coord.url, 'GET', `/api/jobs/${id}`, { token: admin() })).body.state).toBe('queued');
    const own = await api(coord.url, 'DELETE', `/api/jobs/${id}`, { token: alice.token });
    expect(own.status).toBe(200);
    expect(own.body.state).toBe('cancelled');
  });

  it('gives the result to its owner only, and to everyone when the job is public', async () => {
    const priv = (await api(coord.url, 'POST', '/api/jobs', { token: alice.token, body: job() })).body.id as string;
    const pub = (await api(coord.url, 'POST', '/api/jobs', { token: alice.token, body: job({ public: true, name: 'open science' }) })).body.id as string;
    const w = await FakeWorker.connect(coord.wsUrl);
    await w.hello();
    for (let done = 0; done < 2;) {
      const reply = await w.request(2);
      if (reply.type !== 'work') continue;
      const items = await Promise.all(reply.units.map(async (u) => ({ leaseId: u.leaseId, result: await honestResult('keysearch', u.spec), cpuS: 0.01, elapsedS: 0.01 })));
      w.send({ type: 'results', items });
      for (const item of (await w.next('ack')).items) if (item.status === 'accepted') done++;
    }
    w.close();
    await waitFor('both jobs to finish', async () => {
      const states = await Promise.all([priv, pub].map(async (id) => (await api(coord.url, 'GET', `/api/jobs/${id}`, { token: admin() })).body.state));
      return states.every((s) => s === 'done');
    });
    const key = keyJobParams({ count: 2048, unitSize: 2048, keyOffset: 77 }).key;
    expect((await api(coord.url, 'GET', `/api/jobs/${priv}`, { token: alice.token })).body.result.found).toEqual([{ key }]);
    expect((await api(coord.url, 'GET', `/api/jobs/${priv}`, { token: bob.token })).body.result).toBeNull();
    expect((await api(coord.url, 'GET', `/api/jobs/${priv}`)).body.result).toBeNull();
    const open = await api(coord.url, 'GET', `/api/jobs/${pub}`);
    expect(open.body).toMatchObject({ public: true, name: 'open science', result: { found: [{ key }] } });
  });

  it('a revoked token stops working at once; its jobs keep their owner', async () => {
    const carol = (await api(coord.url, 'POST', '/api/tokens', { token: admin(), body: { name: 'carol' } })).body;
    const id = (await api(coord.url, 'POST', '/api/jobs', { token: carol.token, body: job() })).body.id;
    expect((await api(coord.url, 'DELETE', `/api/tokens/${carol.id}`, { token: alice.token })).status).toBe(403);
    expect((await api(coord.url, 'DELETE', `/api/tokens/${carol.id}`, { token: admin() })).body).toEqual({ id: carol.id, revoked: true });
    const after = await api(coord.url, 'POST', '/api/jobs', { token: carol.token, body: job() });
    expect(after.status).toBe(401);
    expect((await api(coord.url, 'DELETE', `/api/tokens/${carol.id}`, { token: admin() })).status).toBe(404);
    expect((await api(coord.url, 'GET', `/api/jobs/${id}`, { token: admin() })).body.owner).toBe(carol.id);
  });

  it('parses queries and path parameters by schema', async () => {
    for (const q of ['limit=abc', 'limit=0', 'limit=5000']) {
      const r = await api(coord.url, 'GET', `/api/jobs?${q}`);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('BAD_REQUEST');
    }
    expect((await api(coord.url, 'GET', '/api/jobs?limit=2')).body.jobs.length).toBeLessThanOrEqual(2);
    const bad = await api(coord.url, 'GET', '/api/jobs/..%2F..%2Fetc');
    expect(bad.status).toBe(404);
    expect(bad.body.error.code).toBe('NOT_FOUND');
  });
});

describe('secrets at rest', () => {
  it('no token or key is stored in Redis, only hashes of them', async () => {
    const acct = (await api(coord.url, 'POST', '/api/accounts', { body: { name: 'hashcheck' } })).body;
    const secrets = [alice.token, bob.token, acct.key, admin()];
    const redis = new Redis(redisUrl());
    const dump: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${coord.options.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) {
        dump.push(k);
        const type = await redis.type(k);
        if (type === 'string') dump.push((await redis.get(k)) ?? '');
        if (type === 'hash') dump.push(...Object.entries(await redis.hgetall(k)).flat());
      }
    } while (cursor !== '0');
    redis.disconnect();
    expect(dump.length).toBeGreaterThan(10);
    const joined = dump.join('\n');
    for (const s of secrets) expect(joined.includes(s)).toBe(false);
  });
});
